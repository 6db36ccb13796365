"""Parameter initialisations, as ``torch.nn.init``, drawing from an explicit generator.

Every function fills ``tensor.array`` in place and returns the tensor. ``rng`` defaults to
nnblocks' default generator (seeded by ``nb.manual_seed``).

Fans for a weight of shape ``(out, in, *k)``: ``fan_in = in * prod(k)``,
``fan_out = out * prod(k)``.
"""

from __future__ import annotations

import math

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Tensor


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight, PyTorch's definition."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(
            f"init: fan in/out need a tensor with at least 2 dims, got shape {shape}"
        )
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for a nonlinearity (PyTorch's table)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity '{nonlinearity}'")


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.array[...] = values.reshape(tensor.shape)              # in place, keeps the dtype
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             rng: np.random.Generator | None = None) -> Tensor:
    """Fill with :math:`\\mathcal U(a, b)`."""
    return _fill(tensor, get_rng(rng).uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            rng: np.random.Generator | None = None) -> Tensor:
    """Fill with :math:`\\mathcal N(\\text{mean}, \\text{std}^2)`."""
    return _fill(tensor, get_rng(rng).normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    rng: np.random.Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): :math:`\\mathcal U(-a, a)`,
    :math:`a = \\text{gain}\\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})}`."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, rng=rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   rng: np.random.Generator | None = None) -> Tensor:
    """Glorot normal: std :math:`= g \\sqrt{2 / (\\text{fan\\_in} + \\text{fan\\_out})}`."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got '{mode}'")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     rng: np.random.Generator | None = None) -> Tensor:
    """He et al. (2015): :math:`\\mathcal U(-b, b)`, :math:`b = \\sqrt3\\,\\text{gain}/\\sqrt{fan}`.

    With PyTorch's defaults for Linear/Conv (``a = sqrt(5)``) this is
    :math:`\\mathcal U(-1/\\sqrt{fan\\_in}, 1/\\sqrt{fan\\_in})`.
    """
    if tensor.numel() == 0:                         # an empty layer (Linear(0, 3)): nothing to fill
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    rng: np.random.Generator | None = None) -> Tensor:
    """He normal: std :math:`= \\text{gain}/\\sqrt{fan}`."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng=rng)


he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_


def _generator(generator: np.random.Generator | None,
               rng: np.random.Generator | None) -> np.random.Generator:
    """PyTorch's ``generator=`` or nnblocks' ``rng=`` (the same thing), else the default."""
    if generator is not None and rng is not None:
        raise TypeError("init: give generator= or rng=, not both")
    return get_rng(generator if generator is not None else rng)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: np.random.Generator | None = None, *,
                  rng: np.random.Generator | None = None) -> Tensor:
    r"""Fill with :math:`\mathcal N(\text{mean}, \text{std}^2)` truncated to ``[a, b]``, as
    ``torch.nn.init.trunc_normal_`` (``a``, ``b`` are absolute bounds, not in stds).

    Drawn by rejection: values outside ``[a, b]`` are drawn again, which gives exactly the
    truncated distribution (PyTorch inverts the CDF instead: same distribution, other numbers).
    A window holding less than 1e-6 of the mass is refused rather than looped on.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: the bounds must satisfy a < b, got a={a}, b={b}")
    if std <= 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    mass = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) -
                  math.erf((a - mean) / (std * math.sqrt(2))))
    if mass < 1e-6:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.2e} of "
                         f"N({mean}, {std}^2); move the bounds nearer the mean")
    g = _generator(generator, rng)
    values = g.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = g.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None,
                *, rng: np.random.Generator | None = None) -> Tensor:
    r"""Fill with a (semi-)orthogonal matrix times ``gain``, as ``torch.nn.init.orthogonal_``
    (Saxe et al. 2013): the weight, seen as ``(shape[0], numel / shape[0])``, is the ``Q`` of
    the QR decomposition of a standard normal matrix (of its transpose when wide), with
    ``Q``'s columns signed by ``diag(R)`` so the result is uniform over orthogonal matrices."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _generator(generator, rng).standard_normal((rows, cols))      # (rows, cols)
    if rows < cols:
        flat = flat.T                                                    # (cols, rows)
    q, r = np.linalg.qr(flat)                                            # q: (max, min)
    q = q * np.sign(np.diag(r))                                          # uniform (Haar)
    if rows < cols:
        q = q.T                                                          # (rows, cols)
    return _fill(tensor, gain * q)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere), as
    ``torch.nn.init.eye_``."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape "
                         f"{tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))
