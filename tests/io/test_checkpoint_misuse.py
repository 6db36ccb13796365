"""Checkpoint errors for damaged or hand-edited files (issue 14): never advise allow_pickle,
show names from the file with repr, name the manifest field of a wrong type."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnblocks.io import CheckpointError, load_checkpoint
from nnblocks.io.checkpoint import MANIFEST
from tests.io.test_checkpoint import Tiny, _rewrite_manifest, _save


def test_a_flipped_first_byte_does_not_suggest_allow_pickle(tmp_path, rng):
    path = tmp_path / "c.npz"
    _save(path, rng)
    data = bytearray(path.read_bytes())
    for flipped in (data[0] ^ 0x01, ord("\x93")):      # 0x93: the start of NumPy's .npy magic
        data[0] = flipped
        path.write_bytes(bytes(data))
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path, model=Tiny(rng))
        message = str(info.value)
        assert "pickle" not in message and "not an .npz file" in message
        assert message.startswith(str(path))


def test_a_corrupt_entry_name_is_shown_with_repr(tmp_path, rng):
    path = tmp_path / "c.npz"
    _save(path, rng)
    data = path.read_bytes()
    at = data.rindex(b"model/weight.npy")                       # the central directory's copy
    path.write_bytes(data[:at] + b"model/\n\x1bight.npy" + data[at + len(b"model/weight.npy"):])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, model=Tiny(rng))
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message
    assert r"'model/\n\x1bight.npy'" in message


@pytest.mark.parametrize("field, value, expected", [
    ("epoch", "ten", "manifest field 'epoch' is 'ten' (str), expected int or null"),
    ("epoch", True, "manifest field 'epoch' is True (bool)"),
    ("epoch", -3, "manifest field 'epoch' is -3, expected >= 0"),
    ("config", [1], "manifest field 'config' is [1] (list), expected dict or null"),
    ("metrics", "x", "manifest field 'metrics' is 'x' (str)"),
])
def test_a_manifest_field_of_the_wrong_type_is_named(tmp_path, rng, field, value, expected):
    path = tmp_path / "c.npz"
    _save(path, rng)
    _rewrite_manifest(path, lambda m: m.update({field: value}))
    with pytest.raises(CheckpointError, match=expected.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        load_checkpoint(path)


def test_a_reference_to_a_missing_array_is_a_checkpoint_error(tmp_path, rng):
    path = tmp_path / "c.npz"
    _save(path, rng)
    _rewrite_manifest(path, lambda m: m.update(metrics={"__array__": ["not", "a", "name"]}))
    with pytest.raises(CheckpointError, match="lacks the array entry"):
        load_checkpoint(path)


def test_a_parameter_name_with_control_characters_is_shown_with_repr(tmp_path, rng):
    path = tmp_path / "c.npz"
    _save(path, rng)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    manifest = json.loads(arrays[MANIFEST].tobytes())
    manifest["model"]["we\nig\x1bht"] = manifest["model"].pop("weight")
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, model=Tiny(rng))
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message and r"'we\nig\x1bht'" in message
