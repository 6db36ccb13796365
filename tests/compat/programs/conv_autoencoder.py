"""A convolutional autoencoder whose decoder upsamples: ``F.pad`` with reflection at the
borders, ``nn.Upsample(scale_factor=2)`` and ``F.interpolate(size=...)``, a weight init through
``model.apply``, Adam and ``ReduceLROnPlateau`` on the epoch loss."""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 4, 3)
        self.enc2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.dec1 = nn.Conv2d(8, 4, 3)
        self.dec2 = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, x):
        h = F.relu(self.enc1(F.pad(x, (1, 1, 1, 1), mode="reflect")))
        h = F.relu(self.enc2(h))
        h = self.up(h)
        h = F.relu(self.dec1(F.pad(h, (1, 1, 1, 1), mode="replicate")))
        h = F.interpolate(h, size=(12, 12), mode="nearest")
        return torch.sigmoid(self.dec2(h))


def init_weights(m):
    if isinstance(m, nn.Conv2d):
        torch.nn.init.xavier_uniform_(m.weight)
        torch.nn.init.constant_(m.bias, 0.01)


rng = np.random.default_rng(0)
images = np.zeros((32, 1, 12, 12), np.float32)
for i in range(32):
    r, c = rng.integers(1, 8, size=2)
    images[i, 0, r:r + 4, c:c + 4] = 1.0
loader = DataLoader(TensorDataset(torch.from_numpy(images)), batch_size=8)

model = AutoEncoder()
model.apply(init_weights)
if os.path.exists(CHECKPOINT):
    model.load_state_dict(torch.load(CHECKPOINT))
else:
    torch.save(model.state_dict(), CHECKPOINT)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "min", patience=0,
                                                       factor=0.5)
criterion = nn.MSELoss()
losses = []
for epoch in range(4):
    epoch_loss = 0.0
    for (batch,) in loader:
        optimizer.zero_grad()
        loss = criterion(model(batch), batch)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
        losses.append(loss.item())
    scheduler.step(epoch_loss)
    losses.append(optimizer.param_groups[0]["lr"])
