"""Inference time of exported models: nnblocks (eval, no_grad) against ONNX Runtime (CPU).

    python benchmarks/onnx_inference.py              # median ms per batch, 1 thread each
    python benchmarks/onnx_inference.py --repeats 50 --threads 2

Also the export time (two traces and the conversion; the first includes importing onnx).
Shared machines make these numbers noisy (10-20%): rerun on a quiet one.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import nnblocks as nb
from nnblocks.models import build_model, model_config

#: name -> (model config arguments, example shape, batch)
CASES = {
    "cnn-bn digits 8x8": (("cnn-bn", (1, 8, 8), 10), 256),
    "lenet 28x28": (("lenet", (1, 28, 28), 10), 256),
    "mlp 784-128-10": (("mlp", (1, 28, 28), 10), 256),
    "gru T=28, hidden 64": (("rnn", (28, 28), 10), 128),
}


def _median_ms(fn, repeats: int) -> float:
    fn()                                            # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _forward(model, x: np.ndarray) -> None:
    with nb.no_grad():
        model(nb.Tensor(x))


def main() -> None:
    import onnxruntime as ort

    from nnblocks.cli.session import limit_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    limiter = limit_threads(args.threads)  # noqa: F841 - kept alive
    rng = np.random.default_rng(0)
    print(f"{'model':<22} {'batch':>5} {'export ms':>9} {'nnblocks ms':>11} {'ORT ms':>8} "
          f"{'ratio':>6}")
    for name, ((model_name, shape, classes), batch) in CASES.items():
        model = build_model(model_config(model_name, shape, classes), rng=rng)
        model.eval()
        x = rng.standard_normal((batch, *shape)).astype(np.float32)
        _forward(model, x[:2])                      # compile nnblocks' kernels first
        start = time.perf_counter()
        proto = nb.onnx.export(model, x[:2])
        export_ms = 1000 * (time.perf_counter() - start)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        session = ort.InferenceSession(proto.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])

        a = _median_ms(lambda m=model, x=x: _forward(m, x), args.repeats)
        b = _median_ms(lambda s=session, x=x: s.run(None, {"input": x}), args.repeats)
        print(f"{name:<22} {batch:>5} {export_ms:>9.1f} {a:>11.2f} {b:>8.2f} {a / b:>6.2f}")


if __name__ == "__main__":
    main()
