"""A custom optimizer written the way PyTorch's own are: a ``torch.optim.Optimizer`` subclass
with ``defaults``, a ``@torch.no_grad()`` ``step(closure)`` that re-enables gradients for the
closure, per-parameter ``self.state[p]`` holding a step count and a momentum buffer made with
``torch.zeros_like(p, memory_format=torch.preserve_format)``, in-place ``mul_``/``add_``/
``addcmul_`` updates, two parameter groups with their own learning rates, and the state read
back through ``state_dict()``."""

import os

import numpy as np
import torch
import torch.nn as nn


class SignMomentum(torch.optim.Optimizer):
    """Momentum with a decoupled weight decay and an update scaled by the gradient's sign."""

    def __init__(self, params, lr=1e-2, momentum=0.9, weight_decay=0.0):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state['step'] = 0
                    state['momentum_buffer'] = torch.zeros_like(
                        p, memory_format=torch.preserve_format)
                state['step'] += 1
                buf = state['momentum_buffer']
                buf.mul_(group['momentum']).add_(p.grad, alpha=1 - group['momentum'])
                if group['weight_decay'] != 0:
                    p.mul_(1 - group['lr'] * group['weight_decay'])
                p.addcmul_(buf, torch.sign(buf), value=-group['lr'])
        return loss


rng = np.random.default_rng(0)
x = torch.from_numpy(rng.standard_normal((32, 6)).astype(np.float32))
y = torch.from_numpy(rng.standard_normal((32, 1)).astype(np.float32))
model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 1))
if os.path.exists(CHECKPOINT):
    model.load_state_dict(torch.load(CHECKPOINT))
else:
    torch.save(model.state_dict(), CHECKPOINT)

optimizer = SignMomentum([
    {'params': model[0].parameters()},
    {'params': model[2].parameters(), 'lr': 5e-3},
], lr=2e-2, weight_decay=1e-2)
losses = []
for i in range(25):
    def closure():
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss
    loss = optimizer.step(closure)
    losses.append(loss.item())
state = optimizer.state_dict()
losses.append(float(state['state'][0]['step']))
losses.append(float(state['param_groups'][1]['lr']))
losses.append(float(np.abs(np.asarray(state['state'][3]['momentum_buffer'])).sum()))
print(f'final loss {losses[24]:.5f}')
