"""Evaluate a trained model from a ``.pt`` state dict: the PyTorch run trains a small
Conv/BatchNorm network for a few steps and saves its ``state_dict()`` (weights *and* running
statistics) with ``torch.save``; the nnblocks run loads that file with ``torch.load`` and
``load_state_dict``. Both then evaluate the model in ``eval()`` mode."""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 6, kernel_size=3, padding=1),
            nn.BatchNorm2d(6),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 8, kernel_size=3),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5),
            nn.Linear(8, 16),
            nn.ReLU(inplace=True),
            nn.Linear(16, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


rng = np.random.default_rng(0)
x = rng.standard_normal((48, 2, 10, 10)).astype(np.float32)
y = rng.integers(0, 3, size=48)
x[np.arange(48), y % 2, :, :] += 0.7 * y[:, None, None]
loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=16)

model = Net()
if os.path.exists(CHECKPOINT):
    state_dict = torch.load(CHECKPOINT, map_location="cpu", weights_only=True)
    print(model.load_state_dict(state_dict))
else:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(3):
        for images, labels in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
    torch.save(model.state_dict(), CHECKPOINT)

losses = []
model.eval()
criterion = nn.CrossEntropyLoss(reduction="sum")
with torch.no_grad():
    for images, labels in loader:
        outputs = model(images)
        losses.append(criterion(outputs, labels).item())
        _, predicted = torch.max(outputs, 1)
        losses.append((predicted == labels).sum().item())
        losses.append(F.softmax(outputs, dim=1)[:, 0].sum().item())
