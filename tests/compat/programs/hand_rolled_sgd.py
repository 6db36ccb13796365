"""Habits of older PyTorch code that reach into ``.data`` and ``.grad``: a DCGAN-style
``weights_init`` applied with ``model.apply`` (``m.weight.data.normal_(0.0, 0.02)``,
``m.bias.data.fill_(0)``), SGD with momentum written by hand on ``p.data`` and ``p.grad``
(``grad.norm()``, ``buf.mul_(momentum).add_(p.grad)``, ``p.data.add_(buf, alpha=-lr)``,
``p.grad.zero_()``), the best weights kept with ``copy.deepcopy(model.state_dict())`` and
restored at the end, and a state dict edited through ``own_state[name].copy_(param)``. The
random initial weights differ between libraries, so CHECKPOINT replaces them after
``weights_init`` has run."""

import copy
import os

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(0)
x = torch.from_numpy(rng.standard_normal((64, 8)).astype(np.float32))
y = torch.from_numpy((rng.standard_normal((64, 1)) * 0.5).astype(np.float32))
y = y + x[:, :1] * 2.0 - x[:, 1:2]


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Linear') != -1:
        m.weight.data.normal_(0.0, 0.02)
        m.bias.data.fill_(0)


model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
model.apply(weights_init)
assert model[0].bias.data.abs().sum().item() == 0.0
if os.path.exists(CHECKPOINT):
    model.load_state_dict(torch.load(CHECKPOINT))
else:
    torch.save(model.state_dict(), CHECKPOINT)

# partial loading, the forum idiom: copy into the model's own state dict
own_state = model.state_dict()
for name, param in {"2.bias": torch.tensor([0.25])}.items():
    own_state[name].copy_(param)
assert abs(model[2].bias.item() - 0.25) < 1e-7

lr, momentum = 0.05, 0.9
buffers = [torch.zeros_like(p.data) for p in model.parameters()]
best_loss, best_state = float('inf'), None
losses = []
for step in range(40):
    loss = ((model(x) - y) ** 2).mean()
    for p in model.parameters():
        if p.grad is not None:
            p.grad.zero_()
    loss.backward()
    grad_norm = torch.sqrt(sum(p.grad.norm() ** 2 for p in model.parameters()))
    for p, buf in zip(model.parameters(), buffers):
        buf.mul_(momentum).add_(p.grad)
        p.data.add_(buf, alpha=-lr)
    losses.append(loss.item())
    losses.append(grad_norm.item())
    if loss.item() < best_loss:
        best_loss, best_state = loss.item(), copy.deepcopy(model.state_dict())

model.load_state_dict(best_state)
with torch.no_grad():
    final = ((model(x) - y) ** 2).mean()
losses.append(final.item())
print(f'best loss {best_loss:.4f}, restored {final.item():.4f}')
