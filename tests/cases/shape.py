"""Block-table cases for the blocks that move elements (nnblocks.functional.shape)."""

from __future__ import annotations

import numpy as np

import nnblocks.functional as F
from nnblocks.core import Tensor
from nnblocks.functional.index_put import IndexPutBlock
from nnblocks.functional.shape import (
    ConcatenateBlock,
    ExpandBlock,
    GetItemBlock,
    PadBlock,
    PermuteBlock,
    ReshapeBlock,
    SplitBlock,
    SqueezeBlock,
    StackBlock,
    UnsqueezeBlock,
)
from tests.cases import Case
from tests.cases import normal_input as _x
from tests.cases import normal_inputs as _xs


def _torch():
    """PyTorch, imported only when a parity test runs (it skips or fails before this)."""
    import torch

    return torch


REPEATS = np.array([2, 0, 2, 1, 2])                       # index 2 picked three times


def _mask(shape: tuple) -> np.ndarray:
    return (np.arange(int(np.prod(shape))).reshape(shape) % 3) == 1


CASES = [
    # ------------------------------------------------------------------ reshape and axes
    Case(ReshapeBlock, "reshape", lambda x: x.reshape(4, -1), _x(2, 3, 2),
         reference=lambda x: x.reshape(4, -1), torch_fn=lambda x: x.reshape(4, -1)),
    Case(ReshapeBlock, "flatten_middle", lambda x: F.flatten(x, 1, 2), _x(2, 3, 2, 2),
         reference=lambda x: x.reshape(2, 6, 2), torch_fn=lambda x: x.flatten(1, 2)),
    Case(ReshapeBlock, "view_tuple", lambda x: x.view((3, 4)), _x(12),
         reference=lambda x: x.reshape(3, 4), torch_fn=lambda x: x.view(3, 4)),
    Case(PermuteBlock, "permute", lambda x: x.permute(2, 0, 1), _x(2, 3, 4),
         reference=lambda x: x.transpose(2, 0, 1), torch_fn=lambda x: x.permute(2, 0, 1)),
    Case(PermuteBlock, "transpose_negative", lambda x: F.transpose(x, 0, -1), _x(2, 3, 4),
         reference=lambda x: np.swapaxes(x, 0, -1), torch_fn=lambda x: x.transpose(0, -1)),
    Case(PermuteBlock, "T_matrix", lambda x: x.T, _x(3, 5),
         reference=lambda x: x.T, torch_fn=lambda x: x.T),
    Case(ExpandBlock, "expand", lambda x: x.expand(2, 3, 4), _x(3, 1),
         reference=lambda x: np.broadcast_to(x, (2, 3, 4)),
         torch_fn=lambda x: x.expand(2, 3, 4)),
    Case(ExpandBlock, "expand_keep_minus_one", lambda x: F.expand(x, (-1, 5)), _x(4, 1),
         reference=lambda x: np.broadcast_to(x, (4, 5)), torch_fn=lambda x: x.expand(-1, 5)),
    Case(SqueezeBlock, "squeeze_all", lambda x: x.squeeze(), _x(1, 3, 1, 2),
         reference=np.squeeze, torch_fn=lambda x: x.squeeze()),
    Case(SqueezeBlock, "squeeze_dim", lambda x: F.squeeze(x, -2), _x(3, 1, 2),
         reference=lambda x: x[:, 0, :], torch_fn=lambda x: x.squeeze(-2)),
    Case(SqueezeBlock, "squeeze_non_unit_dim_is_noop", lambda x: x.squeeze(0), _x(3, 2),
         reference=lambda x: x, torch_fn=lambda x: x.squeeze(0)),
    Case(UnsqueezeBlock, "unsqueeze", lambda x: x.unsqueeze(1), _x(3, 2),
         reference=lambda x: x[:, None, :], torch_fn=lambda x: x.unsqueeze(1)),
    Case(UnsqueezeBlock, "unsqueeze_last", lambda x: F.unsqueeze(x, -1), _x(3, 2),
         reference=lambda x: x[..., None], torch_fn=lambda x: x.unsqueeze(-1)),
    # ------------------------------------------------------------------ joining, splitting
    Case(ConcatenateBlock, "cat_dim1", lambda a, b, c: F.cat([a, b, c], dim=1),
         _xs((2, 1, 3), (2, 4, 3), (2, 2, 3)),
         reference=lambda a, b, c: np.concatenate([a, b, c], axis=1),
         torch_fn=lambda a, b, c: _torch().cat([a, b, c], dim=1)),
    Case(ConcatenateBlock, "cat_negative_dim", lambda a, b: F.concatenate([a, b], -1),
         _xs((3, 2), (3, 1)),
         reference=lambda a, b: np.concatenate([a, b], axis=-1),
         torch_fn=lambda a, b: _torch().cat([a, b], -1)),
    Case(StackBlock, "stack_dim0", lambda a, b: F.stack([a, b]), _xs((2, 3), (2, 3)),
         reference=lambda a, b: np.stack([a, b]),
         torch_fn=lambda a, b: _torch().stack([a, b])),
    Case(StackBlock, "stack_last", lambda a, b, c: F.stack([a, b, c], dim=-1),
         _xs((2, 3), (2, 3), (2, 3)),
         reference=lambda a, b, c: np.stack([a, b, c], axis=-1),
         torch_fn=lambda a, b, c: _torch().stack([a, b, c], dim=-1)),
    Case(SplitBlock, "split_size", lambda x: F.split(x, 2, dim=1), _x(3, 5),
         reference=lambda x: tuple(np.split(x, [2, 4], axis=1)),
         torch_fn=lambda x: x.split(2, dim=1)),
    Case(SplitBlock, "split_sections", lambda x: x.split([1, 3, 2]), _x(6, 2),
         reference=lambda x: tuple(np.split(x, [1, 4])),
         torch_fn=lambda x: x.split([1, 3, 2])),
    Case(SplitBlock, "split_one_output_used", lambda x: F.split(x, [2, 2], dim=-1)[1] * 3.0,
         _x(3, 4),
         reference=lambda x: x[:, 2:] * 3.0,
         torch_fn=lambda x: x.split([2, 2], dim=-1)[1] * 3.0),
    Case(PadBlock, "pad_last_two_axes", lambda x: F.pad(x, (1, 2, 0, 1)), _x(2, 3, 2),
         reference=lambda x: np.pad(x, ((0, 0), (0, 1), (1, 2))),
         torch_fn=lambda x: _torch().nn.functional.pad(x, (1, 2, 0, 1))),
    Case(PadBlock, "pad_value", lambda x: F.pad(x, (2, 0), value=-1.5), _x(3),
         reference=lambda x: np.pad(x, (2, 0), constant_values=-1.5),
         torch_fn=lambda x: _torch().nn.functional.pad(x, (2, 0), value=-1.5)),
    # ------------------------------------------------------------------ indexing
    Case(GetItemBlock, "getitem_int", lambda x: x[1], _x(3, 4),
         reference=lambda x: x[1], torch_fn=lambda x: x[1]),
    Case(GetItemBlock, "getitem_slices", lambda x: x[:, 1:3], _x(3, 4),
         reference=lambda x: x[:, 1:3], torch_fn=lambda x: x[:, 1:3]),
    Case(GetItemBlock, "getitem_step_ellipsis_none", lambda x: x[..., ::2, None], _x(2, 3, 5),
         reference=lambda x: x[..., ::2, None], torch_fn=lambda x: x[..., ::2, None]),
    Case(GetItemBlock, "getitem_negative_int_and_slice", lambda x: x[-1, ::-1][1:], _x(3, 4),
         reference=lambda x: x[-1, ::-1][1:],
         torch_fn=lambda x: x[-1].flip(0)[1:]),
    Case(GetItemBlock, "getitem_int_array_repeats", lambda x: x[REPEATS], _x(4, 3),
         reference=lambda x: x[REPEATS],
         torch_fn=lambda x: x[_torch().from_numpy(REPEATS)]),
    Case(GetItemBlock, "getitem_int_list", lambda x: x[[0, 0, 2]], _x(3, 2),
         reference=lambda x: x[[0, 0, 2]], torch_fn=lambda x: x[[0, 0, 2]]),
    Case(GetItemBlock, "getitem_two_int_arrays", lambda x: x[REPEATS, REPEATS[::-1]], _x(3, 4),
         reference=lambda x: x[REPEATS, REPEATS[::-1]],
         torch_fn=lambda x: x[_torch().from_numpy(REPEATS),
                              _torch().from_numpy(REPEATS[::-1].copy())]),
    Case(GetItemBlock, "getitem_slice_and_int_array", lambda x: x[:, REPEATS], _x(2, 3),
         reference=lambda x: x[:, REPEATS],
         torch_fn=lambda x: x[:, _torch().from_numpy(REPEATS)]),
    Case(GetItemBlock, "getitem_bool_mask", lambda x: x[_mask((3, 4))], _x(3, 4),
         reference=lambda x: x[_mask((3, 4))],
         torch_fn=lambda x: x[_torch().from_numpy(_mask((3, 4)))]),
    Case(GetItemBlock, "getitem_bool_tensor_mask", lambda x: x[x > 0.0], _x(3, 4),
         reference=lambda x: x[x > 0.0], torch_fn=lambda x: x[x > 0.0]),
    Case(IndexPutBlock, "index_put_row_broadcast", lambda x, v: F.index_put(x, (1,), v),
         lambda r: [Tensor(r.standard_normal((3, 4)), requires_grad=True),
                    Tensor(r.standard_normal((4,)), requires_grad=True)],
         reference=lambda x, v: _put(x, (1,), v),
         torch_fn=lambda x, v: x.index_put((__import__("torch").tensor(1),), v)),
    Case(IndexPutBlock, "index_put_mask_scalar_value", lambda x, v: F.index_put(x, MASK, v),
         lambda r: [Tensor(r.standard_normal((2, 3)), requires_grad=True),
                    Tensor(r.standard_normal(()), requires_grad=True)],
         reference=lambda x, v: _put(x, MASK, v),
         torch_fn=lambda x, v: x.index_put((__import__("torch").from_numpy(MASK),), v)),
]

MASK = np.array([[True, False, True], [False, True, False]])


def _put(x, index, v):
    y = x.copy()
    y[index] = v
    return y

