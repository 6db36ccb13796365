"""``nb.load`` of PyTorch's own ``.pt`` files (torch.save's zip format), in a process where torch
cannot be imported, and refusal of every file that would need real unpickling; ``nb.save`` /
``nb.load`` round trips in nnblocks' format."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nnblocks as nb
from nnblocks import nn, optim
from nnblocks.io import CheckpointError
from tests.conftest import import_torch

REPO = Path(__file__).resolve().parents[2]

#: run in a fresh interpreter in which ``import torch`` fails
_NO_TORCH_SCRIPT = r"""
import json, sys
sys.modules["torch"] = None                       # any `import torch` now raises ImportError
import numpy as np
import nnblocks as nb
from nnblocks import nn, optim
from tests.nn.test_state_dict_from_torch import _cnn, _sequence_model
folder = sys.argv[1]
results = {}
for name, model in (("cnn", _cnn(nn)), ("sequence", _sequence_model(nn, nn.Module))):
    model.load_state_dict(nb.load(f"{folder}/{name}.pt"))
    model.eval()
    x = np.load(f"{folder}/{name}_x.npy")
    expected = np.load(f"{folder}/{name}_y.npy")
    y = model(nb.tensor(x)).array
    results[name] = float(np.max(np.abs(y - expected)))
model = _cnn(nn)
adam = optim.Adam(model.parameters(), lr=1e-3)
adam.load_state_dict(nb.load(f"{folder}/adam.pt"))
results["adam_steps"] = sorted({int(s["step"]) for s in adam.state_dict()["state"].values()})
misc = nb.load(f"{folder}/misc.pt")
expected = np.load(f"{folder}/misc.npz")
results["misc"] = {k: bool(np.array_equal(np.asarray(misc[k].array), expected[k])
                           and misc[k].dtype == expected[k].dtype) for k in expected.files}
results["torch_importable"] = "torch" in sys.modules and sys.modules["torch"] is not None
print(json.dumps(results))
"""


def test_torch_save_files_load_without_torch_and_agree(tmp_path, rng) -> None:
    torch = import_torch()
    from tests.nn.test_state_dict_from_torch import _cnn, _sequence_model, _train_batch_norms

    torch.manual_seed(0)
    models = {"cnn": (_cnn(torch.nn), (2, 2, 8, 8)),
              "sequence": (_sequence_model(torch.nn, torch.nn.Module), (2, 3, 6))}
    for name, (theirs, shape) in models.items():
        _train_batch_norms(theirs, shape, torch)
        torch.save(theirs.state_dict(), tmp_path / f"{name}.pt")
        x = rng.standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            np.save(tmp_path / f"{name}_y.npy", theirs(torch.from_numpy(x)).numpy())
        np.save(tmp_path / f"{name}_x.npy", x)
    cnn = models["cnn"][0]
    adam = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    for _ in range(3):
        adam.zero_grad()
        cnn(torch.randn(2, 2, 8, 8)).sum().backward()
        adam.step()
    torch.save(adam.state_dict(), tmp_path / "adam.pt")
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    misc = {"transposed": base.t(), "slice": base[1:3, ::2], "half": base.half(),
            "bfloat16": base.bfloat16(), "int": torch.arange(5), "bool": base > 10,
            "double": base.double(), "scalar": torch.tensor(3.5)}
    torch.save(misc, tmp_path / "misc.pt")
    expected = {k: (v.float() if v.dtype == torch.bfloat16 else v).numpy() for k, v in misc.items()}
    np.savez(tmp_path / "misc.npz", **expected)

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _NO_TORCH_SCRIPT, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["torch_importable"] is False
    assert results["cnn"] < 1e-4 and results["sequence"] < 1e-4, results
    assert results["adam_steps"] == [3]
    assert results["misc"] == dict.fromkeys(misc, True)


def _torch_archive(path: Path, payload: bytes, extra: dict[str, bytes] | None = None) -> Path:
    """A zip laid out as torch.save's, whose data.pkl is ``payload``."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/byteorder", "little")
        for name, data in (extra or {}).items():
            z.writestr(f"archive/{name}", data)
    return path


class _Payload:
    """What an attacker pickles: ``__reduce__`` returns a callable and its arguments."""

    def __init__(self, fn, *args) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


@pytest.mark.parametrize("kind", ["os.system", "eval", "exec-in-dict", "subprocess",
                                  "getattr-chain", "inst-opcode", "newobj"])
def test_malicious_pickles_are_refused_and_run_nothing(kind, tmp_path) -> None:
    marker = tmp_path / "pwned"
    command = f"touch {marker}"
    code = f"open({str(marker)!r}, 'w').close()"
    payloads = {
        "os.system": lambda: pickle.dumps(_Payload(os.system, command), protocol=2),
        "eval": lambda: pickle.dumps(_Payload(eval, code), protocol=2),
        "exec-in-dict": lambda: pickle.dumps({"weight": _Payload(exec, code)}, protocol=2),
        "subprocess": lambda: pickle.dumps(_Payload(subprocess.call, ["touch", str(marker)]),
                                           protocol=2),
        "getattr-chain": lambda: pickle.dumps(
            _Payload(getattr, _Payload(__import__, "os"), "system"), protocol=4),
        "inst-opcode": lambda: f"(ios\nsystem\n(S'{command}'\ntR.".encode(),
        "newobj": lambda: b"\x80\x02c__main__\n_Payload\n)\x81.",
    }
    path = _torch_archive(tmp_path / "evil.pt", payloads[kind]())
    with pytest.raises(CheckpointError) as info:
        nb.load(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert "not allowed" in message or "refused" in message
    assert not marker.exists()


def test_a_tensor_reaching_outside_its_storage_is_refused(tmp_path) -> None:
    torch = import_torch()
    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(4)}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    pkl = next(n for n in entries if n.endswith("data.pkl"))
    # size 4 -> 400 elements of a 4-element storage: an out-of-bounds read if not checked
    entries[pkl] = entries[pkl].replace(b"K\x04\x85", b"M\x90\x01\x85", 1)
    path = tmp_path / "oob.pt"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    with pytest.raises(CheckpointError, match="reaches element 399 of a storage of 4"):
        nb.load(path)


def test_other_formats_get_a_message_saying_what_to_do(tmp_path) -> None:
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.")
    with pytest.raises(CheckpointError, match="legacy .* re-save it with torch.save"):
        nb.load(legacy)
    script = _torch_archive(tmp_path / "scripted.pt", b"\x80\x02}.", {"constants.pkl": b""})
    with pytest.raises(CheckpointError, match="TorchScript .* state_dict"):
        nb.load(script)
    with pytest.raises(RuntimeError, match="runs on the CPU; got map_location='cuda:0'"):
        nb.load(legacy, map_location="cuda:0")


def test_save_and_load_round_trip_state_dicts_and_nested_values(tmp_path) -> None:
    nb.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    model(nb.tensor(np.ones((5, 3), dtype=np.float32))).sum().backward()
    opt.step()
    nb.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
             "note": "best", "pair": (1.5, None), "t": nb.tensor([1, 2])}, tmp_path / "all.pt")
    loaded = nb.load(tmp_path / "all.pt", map_location="cpu", weights_only=True)
    assert loaded["epoch"] == 3 and loaded["note"] == "best" and loaded["pair"] == (1.5, None)
    assert isinstance(loaded["t"], nb.Tensor) and loaded["t"].tolist() == [1, 2]
    clone = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    clone.load_state_dict(loaded["model"])
    for (name, a), b in zip(model.state_dict().items(), clone.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    opt2 = optim.Adam(clone.parameters(), lr=1e-2)
    opt2.load_state_dict(loaded["optimizer"])
    with open(tmp_path / "all.pt", "rb") as f:                  # a file object, as torch.load
        assert nb.load(f)["epoch"] == 3


def test_saving_a_whole_model_is_refused_with_what_to_write(tmp_path) -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"nb.save\(model.state_dict\(\), path\)"):
        nb.save(model, tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"nb.save\(optimizer.state_dict\(\), path\)"):
        nb.save(optim.SGD(model.parameters(), lr=0.1), tmp_path / "o.pt")
    with pytest.raises(TypeError, match=r"cannot save a Linear at obj\['layer'\]|whole Linear"):
        nb.save({"layer": model}, tmp_path / "d.pt")
    assert not list(tmp_path.iterdir())
