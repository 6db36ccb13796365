"""Naming rules that keep blocks, modules and functions apart (issue 16)."""

import inspect

import nnblocks as nb
import nnblocks.functional as F
from nnblocks import nn
from nnblocks.core.block import Block


def library_blocks() -> dict[str, type[Block]]:
    return {name: cls for name, cls in Block.registry.items() if name.startswith("nnblocks.")}


def test_every_block_ends_in_block_and_shares_no_name_with_a_module() -> None:
    blocks = library_blocks()
    assert len(blocks) > 50
    unsuffixed = sorted(name for name, cls in blocks.items() if not cls.__name__.endswith("Block"))
    assert not unsuffixed, f"blocks whose class name lacks the Block suffix: {unsuffixed}"
    modules = {name for name in dir(nn) if inspect.isclass(getattr(nn, name))}
    clashes = sorted(cls.__name__ for cls in blocks.values() if cls.__name__ in modules)
    assert not clashes, f"blocks named like an nn module: {clashes}"
    assert not [name for name in dir(F) if name.endswith("Block")], "F exports functions only"


def test_label_strips_the_suffix_for_people() -> None:
    from nnblocks.functional.linear import LinearBlock

    assert LinearBlock.label() == "Linear" and Block.label() == "Block"
    x = nb.tensor([[1.0, 2.0]], requires_grad=True)
    assert F.linear(x, nb.tensor([[1.0, 1.0]])).grad_fn.block.label() == "Linear"


def test_one_name_for_which_inputs_need_a_gradient() -> None:
    """``needs_input_grad`` (PyTorch's name) everywhere: no block's backward takes a third
    argument; the blocks that skip work receive it as a keyword of forward."""
    for cls in library_blocks().values():
        params = inspect.signature(cls.backward).parameters
        assert len(params) == 2, f"{cls.__name__}.backward{tuple(params)}: expected (saved, gy)"
        takes = "needs_input_grad" in inspect.signature(cls.forward).parameters
        assert takes == cls.takes_needs_input_grad, cls.__name__
        assert not hasattr(cls, "wants_needs_grad")


def test_core_tensor_is_the_module_and_nb_tensor_the_function() -> None:
    import nnblocks.core

    assert inspect.ismodule(nnblocks.core.tensor)
    assert nnblocks.core.tensor.Tensor is nb.Tensor
    assert inspect.isfunction(nb.tensor) and nb.tensor is nnblocks.core.tensor.tensor


def test_one_helper_reads_a_modules_dtype_argument() -> None:
    from pathlib import Path

    for path in Path(nn.__file__).parent.rglob("*.py"):
        text = path.read_text()
        assert "def _dtype(" not in text and "if dtype is None else" not in text.replace(
            "return DEFAULT_DTYPE if dtype is None else", ""), f"{path}: use parameter_dtype"
