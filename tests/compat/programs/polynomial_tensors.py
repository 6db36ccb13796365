"""The "PyTorch: Tensors and autograd" tutorial: a third-order polynomial fitted to sin(x) with
four tensors that require grad, updated in place under ``torch.no_grad()`` (``a -= lr *
a.grad``) with gradients reset by ``a.grad.zero_()`` (the tutorial's earlier form; today it
writes ``a.grad = None``, which polynomial_custom_function.py uses). The random initial weights
are saved to CHECKPOINT by the PyTorch run and loaded by the nnblocks run."""

import math
import os

import torch

dtype = torch.float
device = "cuda" if torch.cuda.is_available() else "cpu"
torch.set_default_device(device)

# Create Tensors to hold input and outputs.
# By default, requires_grad=False, which indicates that we do not need to
# compute gradients with respect to these Tensors during the backward pass.
x = torch.linspace(-math.pi, math.pi, 500, dtype=dtype)
y = torch.sin(x)

# Create random Tensors for weights. For a third order polynomial, we need
# 4 weights: y = a + b x + c x^2 + d x^3
# Setting requires_grad=True indicates that we want to compute gradients with
# respect to these Tensors during the backward pass.
a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)
if os.path.exists(CHECKPOINT):
    weights = torch.load(CHECKPOINT)
    a, b, c, d = (weights[k].requires_grad_() for k in "abcd")
else:
    torch.save({"a": a, "b": b, "c": c, "d": d}, CHECKPOINT)

learning_rate = 1e-6
losses = []
for t in range(100):
    # Forward pass: compute predicted y using operations on Tensors.
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    # Compute and print loss using operations on Tensors.
    # Now loss is a Tensor of shape (1,)
    # loss.item() gets the scalar value held in the loss.
    loss = (y_pred - y).pow(2).sum()
    if t % 20 == 19:
        print(t, loss.item())
    losses.append(loss.item())

    # Use autograd to compute the backward pass. This call will compute the
    # gradient of loss with respect to all Tensors with requires_grad=True.
    loss.backward()

    # Manually update weights using gradient descent. Wrap in torch.no_grad()
    # because weights have requires_grad=True, but we don't need to track this
    # in autograd.
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # Manually zero the gradients after updating weights
        a.grad.zero_()
        b.grad.zero_()
        c.grad.zero_()
        d.grad.zero_()

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
losses.extend([a.item(), b.item(), c.item(), d.item()])
