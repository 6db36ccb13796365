r"""Rosenblatt's perceptron (1958): a threshold unit and its error-correction learning rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks._random import get_rng
from nnblocks.core import Tensor
from nnblocks.functional.linear import perceptron
from nnblocks.nn.linear import check_features
from nnblocks.nn.module import Module
from nnblocks.nn.parameter import Parameter, parameter_dtype
from nnblocks.nn.sizes import size_argument


class Perceptron(Module):
    r"""Rosenblatt's perceptron: one threshold unit trained by error correction.

    Prediction (:func:`nnblocks.functional.perceptron`):

    .. math::
        \hat y = \begin{cases} +1 & w^\top x + b > \theta \\ -1 & \text{otherwise}
                 \end{cases}

    Learning rule (:meth:`fit`): visit the samples :math:`(x_i, y_i)`, :math:`y_i \in \{-1, +1\}`,
    and **only on a mistake** (:math:`\hat y_i \ne y_i`) move the hyperplane towards the sample:

    .. math::
        w \leftarrow w + \eta\, y_i x_i, \qquad b \leftarrow b + \eta\, y_i

    There is no gradient: the step function is flat almost everywhere, and the rule is not
    gradient descent on a differentiable loss (it is a stochastic subgradient step on
    :math:`\max(0, -y (w^\top x + b - \theta))`).

    **Perceptron convergence theorem** (Rosenblatt 1962; Novikoff 1962). Suppose the data are
    linearly separable with margin :math:`\gamma > 0`: some unit vector :math:`u` (over the
    augmented inputs :math:`(x, 1)`, which absorb :math:`b` and :math:`\theta`) has
    :math:`y_i\, u^\top (x_i, 1) \ge \gamma` for all i, and let
    :math:`R = \max_i \lVert (x_i, 1) \rVert`. Then, starting from :math:`w = 0, b = 0` (and
    :math:`\theta = 0`), the rule makes at most :math:`(R / \gamma)^2` mistakes, whatever the
    order of the samples and the rate :math:`\eta > 0`: after that, every sample is classified
    correctly. Proof sketch: each update is made where :math:`y_i\, v^\top (x_i, 1) \le 0`
    (:math:`v` the augmented weights), so after k updates :math:`u^\top v \ge k \eta \gamma` while
    :math:`\lVert v \rVert^2 \le k \eta^2 R^2`; Cauchy–Schwarz,
    :math:`k \eta \gamma \le \lVert v \rVert \le \sqrt k \eta R`, bounds k. If the data are
    not separable (XOR), the rule never stops making mistakes — the limitation that Minsky and
    Papert (1969) made famous, and the reason for hidden layers (:class:`~nnblocks.nn.MLP`).

    Args:
        in_features: D, the size of each input.
        threshold: :math:`\theta`, the firing threshold (default 0).
        dtype: parameter dtype (default float32).

    Attributes:
        weight: ``(D,)``, zeros (the theorem's starting point).
        bias: ``()``, zero.

    Shapes:
        x: ``(*, D)``; output: ``(*)`` of ±1 in the dtype of x (no gradient).
    """

    def __init__(self, in_features: int, threshold: float = 0.0, *, dtype: Any = None) -> None:
        super().__init__()
        dtype = parameter_dtype(dtype)
        self.in_features = size_argument("Perceptron", "in_features", in_features)
        self.threshold = float(threshold)
        self.weight = Parameter(np.zeros(self.in_features, dtype=dtype), requires_grad=False)
        self.bias = Parameter(np.zeros((), dtype=dtype), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        check_features(self, x, self.in_features)
        return perceptron(x, self.weight, self.bias, threshold=self.threshold)

    def fit(self, X: Any, y: Any, epochs: int = 100, lr: float = 1.0,
            rng: np.random.Generator | None = None) -> list[int]:
        """Train with Rosenblatt's rule; returns the number of mistakes in each epoch.

        Each epoch visits the samples once in a random order (drawn from ``rng``). Training
        stops after the first epoch without a mistake (later epochs would change nothing), so
        the list may be shorter than ``epochs``; its last entry is 0 exactly when the training
        set is separated.

        Args:
            X: ``(N, D)`` inputs.
            y: ``(N,)`` labels in ``{-1, +1}`` (labels in ``{0, 1}`` are mapped to -1, +1).
            epochs: maximum number of passes over the data.
            lr: the step :math:`\\eta`.
            rng: generator for the visiting order.

        >>> import nnblocks as nb
        >>> unit = nb.nn.Perceptron(2)
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        >>> unit.fit(X, np.array([0, 0, 0, 1]), rng=np.random.default_rng(0))[-1]   # AND
        0
        """
        X = np.asarray(getattr(X, "array", X), dtype=self.weight.dtype)
        y = np.asarray(getattr(y, "array", y))
        check_features(self, X, self.in_features)
        if X.ndim != 2 or y.shape != X.shape[:1]:
            raise ValueError(f"Perceptron.fit: expected X (N, D) and y (N,), got X {X.shape} "
                             f"and y {y.shape}")
        labels = set(np.unique(y).tolist())
        if labels <= {0, 1}:
            y = np.where(y == 1, 1.0, -1.0)
        elif not labels <= {-1, 1}:
            raise ValueError(f"Perceptron.fit: labels must be in {{-1, +1}} or {{0, 1}}, got "
                             f"{sorted(labels)}")
        rng = get_rng(rng)
        w = self.weight.array
        b = self.bias.array
        history: list[int] = []
        for _ in range(epochs):
            mistakes = 0
            for i in rng.permutation(len(X)):
                fired = 1.0 if float(X[i] @ w + b) > self.threshold else -1.0
                if fired != y[i]:
                    w += (lr * y[i]) * X[i]                      # (D,) in place
                    b += lr * y[i]
                    mistakes += 1
            history.append(mistakes)
            if mistakes == 0:
                break
        return history

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, threshold={self.threshold}"
