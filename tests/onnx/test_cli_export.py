"""``nnblocks export`` and ``nnblocks info FILE.onnx``: the default trained model (a CNN on the
digits scikit-learn ships) exported to ONNX predicts the digits test set exactly as nnblocks
does, and its weights read back into a fresh model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nnblocks as nb
from nnblocks.cli.main import main
from nnblocks.cli.session import load_trained
from nnblocks.core import Tensor
from nnblocks.data import load_splits
from nnblocks.models import build_model
from tests.onnx.helpers import import_onnx, session


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of ``nnblocks train`` with every default (cnn-bn on digits, 10 epochs, ~5 s)."""
    run = tmp_path_factory.mktemp("onnx-cli") / "run"
    assert main(["train", "--out", str(run), "--quiet"]) == 0
    return run


def test_exported_default_model_predicts_the_digits_test_set_identically(
        trained: Path, capsys: pytest.CaptureFixture) -> None:
    onnx, _ = import_onnx()
    assert main(["export", str(trained), "--format", "onnx"]) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed and "ONNX Runtime vs nnblocks" in printed
    path = trained / "model.onnx"
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)

    _, config, model = load_trained(trained)
    assert config["model"]["name"] == "cnn-bn"
    x, labels = load_splits(config["dataset"]).test          # standardized, as in training
    with nb.no_grad():
        ours = model(Tensor(x)).array.argmax(axis=1)
    theirs = session(proto).run(None, {"input": x.astype(np.float32)})[0].argmax(axis=1)
    assert len(x) > 300
    assert np.array_equal(ours, theirs)                       # 100% agreement
    assert (ours == labels).mean() > 0.9                      # and it did learn


def test_info_lists_inputs_outputs_opset_and_operators(
        trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import_onnx()
    out = tmp_path / "digits.onnx"
    assert main(["export", str(trained / "checkpoint.npz"), "--format", "onnx",
                 "--out", str(out), "--opset", "18"]) == 0
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "input       input  float32  (batch, 1, 8, 8)" in printed
    assert "output      output  float32  (batch, 10)" in printed
    assert "ai.onnx 18" in printed
    for op, count in (("Conv", 3), ("BatchNormalization", 3), ("MaxPool", 2), ("Gemm", 1)):
        assert any(line.split() == [op, str(count)] for line in printed.splitlines()), op
    assert "nnblocks.standardize" in printed


def test_load_weights_reads_the_exported_weights_back(trained: Path, tmp_path: Path) -> None:
    import_onnx()
    _, config, model = load_trained(trained)
    path = tmp_path / "m.onnx"
    nb.onnx.export(model, np.zeros((2, 1, 8, 8), np.float32), path)
    fresh = build_model(config["model"], rng=np.random.default_rng(123))
    loaded = nb.onnx.load_weights(fresh, path)
    assert "0.weight" in loaded and "1.running_var" in loaded
    want, got = model.state_dict(), fresh.state_dict()
    for key in loaded:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    with pytest.raises(KeyError, match="no initializer"):
        nb.onnx.load_weights(nb.nn.Sequential(nb.nn.Linear(3, 2)), path)


def test_export_and_info_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture
                                             ) -> None:
    import_onnx()
    assert main(["info", str(tmp_path / "missing.onnx")]) == 1
    assert "missing.onnx not found" in capsys.readouterr().err
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    assert main(["info", str(bad)]) == 1
    assert "not a readable ONNX model" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nothing"), "--format", "onnx"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_readme_deploying_section_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python example of README's "Deploying a model" runs as written."""
    import re

    import_onnx()
    readme = Path(__file__).resolve().parents[2] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S)
    example = next(b for b in blocks if "nb.onnx.export" in b)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(example, str(readme), "exec"), scope)
    assert scope["logits"].shape == (5, 10)
    assert (tmp_path / "model.onnx").is_file()


def test_sequence_run_exports_with_a_dynamic_time_axis(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    import_onnx()
    run = tmp_path / "parity"
    assert main(["train", "--dataset", "parity", "--epochs", "1", "--quiet",
                 "--out", str(run)]) == 0
    assert main(["export", str(run), "--format", "onnx", "--out", str(tmp_path / "p.onnx")]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "p.onnx")]) == 0
    printed = capsys.readouterr().out
    assert "input       input  float32  (batch, time, 1)" in printed
    assert any(line.split() == ["GRU", "1"] for line in printed.splitlines())
