"""Which converter turns which block into ONNX operators, keyed by the block classes themselves.

A converter is a function ``convert(ctx: OpContext) -> name | [names]`` that adds the nodes
computing one traced block and returns the ONNX value name of each of the block's outputs. It is
registered for the block classes it handles with :func:`converts`::

    @converts(ReLU)
    def relu(ctx):
        return ctx.g.node("Relu", [ctx.input(0)])

``batch_hypers`` names hyper-parameters the converter handles even when they change with the
batch size (a reshape's target shape); any other hyper-parameter that changes makes the export
with a dynamic batch fail, naming the block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

Converter = Callable[[Any], Any]


class Registered(NamedTuple):
    convert: Converter
    batch_hypers: frozenset[str]


#: block class -> its converter
CONVERTERS: dict[type, Registered] = {}


def converts(*blocks: type, batch_hypers: Sequence[str] = ()) -> Callable[[Converter], Converter]:
    """Register the decorated function as the converter of ``blocks``."""
    def decorate(fn: Converter) -> Converter:
        for block in blocks:
            CONVERTERS[block] = Registered(fn, frozenset(batch_hypers))
        return fn
    return decorate


def converter_for(block: type) -> Registered:
    """The converter of ``block``; ``NotImplementedError`` naming the block when there is none."""
    found = CONVERTERS.get(block)
    if found is None:
        raise NotImplementedError(
            f"export: no ONNX converter for block {block.__module__}.{block.__qualname__}; "
            "supported: " + ", ".join(sorted({b.__name__ for b in CONVERTERS}))
        )
    return found
