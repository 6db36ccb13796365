"""Einstein summation, as ``torch.einsum``: one block for any equation."""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from nnblocks.core import Block, Tensor

Array = np.ndarray


def _explicit(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """The subscripts of each operand and of the output, one letter per axis: ``...`` becomes
    letters of its own (right-aligned, as broadcasting), an implicit output (no ``->``) the
    letters seen once, in alphabetical order, after the ``...`` axes (NumPy's and PyTorch's rule).
    """
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has {len(subs)} operands, "
                         f"got {len(shapes)} tensors")
    free = [c for c in string.ascii_letters if c not in eq]
    n_ell = 0
    for s, shape in zip(subs, shapes):
        letters = len(s.replace("...", ""))
        if "..." in s:
            n_ell = max(n_ell, len(shape) - letters)
        elif letters != len(shape):
            raise ValueError(f"einsum: subscripts {s!r} name {letters} dims but the operand "
                             f"has {len(shape)} (shape {shape})")
    ell = "".join(free[:n_ell])
    expanded = []
    for s, shape in zip(subs, shapes):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:] if k else "")
        expanded.append(s)
    if arrow:
        out = out.replace("...", ell)
    else:
        seen = "".join(s.replace("...", "") for s in subs)
        out = ell + "".join(sorted(c for c in set(seen) if seen.count(c) == 1))
    return expanded, out


class EinsumBlock(Block):
    r"""``y = einsum(equation, x_1, ..., x_n)`` (:func:`numpy.einsum`).

    .. math::
        y_{o} = \sum_{\text{letters not in } o} \prod_j x_{j, s_j}, \qquad
        g_{x_i} = \operatorname{einsum}(o, s_{j \ne i} \to s_i;\ g_y, x_{j \ne i})

    The gradient of an operand is the einsum of ``g_y`` with the other operands, into that
    operand's subscripts: the same sum with the operand swapped for ``g_y``. Letters only that
    operand has (summed in forward) are broadcast back; a repeated letter (a diagonal, ``ii``)
    is written into the diagonal of zeros; an axis of size 1 that ``...`` broadcast is summed.

    Shapes:
        x_j: one axis per letter of its subscripts; y: one per output letter; g_{x_i}: x_i's.
    """

    @staticmethod
    def forward(*operands: Array, equation: str) -> tuple[Array, tuple]:
        subs, out = _explicit(equation, [x.shape for x in operands])
        try:
            y = np.einsum(",".join(subs) + "->" + out, *operands)
        except ValueError as e:
            shapes = ", ".join(str(x.shape) for x in operands)
            raise ValueError(f"einsum: {e} (equation {equation!r}, shapes {shapes})") from None
        return np.asarray(y), (operands, subs, out)

    @staticmethod
    def backward(saved: tuple, gy: Array) -> tuple[Array, ...]:
        operands, subs, out = saved
        size: dict[str, int] = dict(zip(out, gy.shape))
        for x, s in zip(operands, subs):
            for c, n in zip(s, x.shape):
                size[c] = max(size.get(c, 1), n)
        full = [np.broadcast_to(x, [size[c] for c in s]) for x, s in zip(operands, subs)]
        grads = []
        for i, (x, s) in enumerate(zip(operands, subs)):
            others = [(full[j], subs[j]) for j in range(len(operands)) if j != i]
            have = set(out).union(*(t for _, t in others))
            target = "".join(dict.fromkeys(s))                        # s without repeats
            known = "".join(c for c in target if c in have)
            spec = ",".join([out] + [t for _, t in others]) + "->" + known
            g = np.einsum(spec, gy, *(a for a, _ in others))          # one axis per `known`
            g = np.expand_dims(g, [k for k, c in enumerate(target) if c not in have])
            g = np.broadcast_to(g, [size[c] for c in target])         # one axis per `target`
            own = {c: n for c, n in zip(s, x.shape)}
            spread = tuple(k for k, c in enumerate(target) if own[c] == 1 and size[c] > 1)
            if spread:
                g = g.sum(axis=spread, keepdims=True)                  # broadcast by `...`
            if len(target) == len(s):
                gx = np.ascontiguousarray(g)
            else:
                gx = np.zeros(x.shape, dtype=gy.dtype)
                np.einsum(s + "->" + target, gx)[...] = g              # the diagonal's view
            grads.append(gx.astype(x.dtype, copy=False))
        return tuple(grads)


def einsum(equation: str, *operands: Any) -> Tensor:
    """``torch.einsum``: Einstein summation over the operands (:class:`EinsumBlock`); explicit
    (``'ij,jk->ik'``) or implicit (``'ij,jk'``) output, ``...`` for broadcast dims; the operands
    may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the first argument must be the equation (a str), got "
                        f"{type(equation).__name__}")
    return EinsumBlock.apply(*operands, equation=equation)
