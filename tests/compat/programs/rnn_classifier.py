"""Sequence classification with an LSTM, in the style of PyTorch's ``examples/mnist_rnn``:
each image row is one time step, the last output goes through a linear layer. Images are
synthetic 8x8 patterns made with NumPy."""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.rnn = nn.LSTM(input_size=8, hidden_size=16, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(16)
        self.fc1 = nn.Linear(16, 12)
        self.fc2 = nn.Linear(12, 4)

    def forward(self, input):
        # Shape of input is (batch_size, 1, 8, 8); of the LSTM's input (batch_size, 8, 8)
        input = input.reshape(-1, 8, 8)
        output, hidden = self.rnn(input)

        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


rng = np.random.default_rng(0)
labels = rng.integers(0, 4, size=96)
images = rng.normal(0, 0.5, size=(96, 1, 8, 8)).astype(np.float32)
images[np.arange(96), 0, :, labels * 2] += 1.0
dataset = TensorDataset(torch.tensor(images), torch.tensor(labels))
train_loader = DataLoader(dataset, batch_size=24, shuffle=False)

device = torch.device("cpu")
model = Net().to(device)
if os.path.exists(CHECKPOINT):
    model.load_state_dict(torch.load(CHECKPOINT))
else:
    torch.save(model.state_dict(), CHECKPOINT)
optimizer = optim.Adam(model.parameters(), lr=0.01)
scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
losses = []

for epoch in range(1, 4):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()

model.eval()
with torch.no_grad():
    output = model(torch.tensor(images))
    losses.append(F.nll_loss(output, torch.tensor(labels), reduction="sum").item())
    pred = output.argmax(dim=1, keepdim=True)
    losses.append(pred.eq(torch.tensor(labels).view_as(pred)).sum().item())
