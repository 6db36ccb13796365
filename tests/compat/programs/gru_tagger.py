"""A sequence tagger with PyTorch habits around ``nn.Module``: the transformer tutorial's
``PositionalEncoding`` (a buffer filled by slice assignment and registered with
``register_buffer``), an Embedding + GRU + Linear tagger, weights initialized through
``model.apply``, AdamW with two parameter groups built from ``named_parameters`` (no weight
decay on biases), ``OneCycleLR`` stepped per batch, a forward hook recording the GRU's output
norm, and ``Subset`` splits of a ``TensorDataset``."""

import math
import os

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset, TensorDataset


class PositionalEncoding(nn.Module):

    def __init__(self, d_model: int, max_len: int = 50):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)

    def forward(self, x):
        """
        Arguments:
            x: Tensor, shape ``[seq_len, batch_size, embedding_dim]``
        """
        x = x + self.pe[:x.size(0)]
        return x


class Tagger(nn.Module):
    def __init__(self, ntoken, d_model, nhid, ntags):
        super().__init__()
        self.embedding = nn.Embedding(ntoken, d_model)
        self.pos_encoder = PositionalEncoding(d_model)
        self.rnn = nn.GRU(d_model, nhid)
        self.head = nn.Linear(nhid, ntags)

    def forward(self, src):
        src = self.embedding(src) * math.sqrt(self.embedding.embedding_dim)
        src = self.pos_encoder(src)
        output, _ = self.rnn(src)
        return self.head(output)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


rng = np.random.default_rng(0)
tokens = rng.integers(0, 12, size=(64, 9))
tags = (tokens % 3 + np.roll(tokens, 1, axis=1) % 2) % 3
dataset = TensorDataset(torch.from_numpy(tokens), torch.from_numpy(tags))
train_set, val_set = Subset(dataset, range(48)), Subset(dataset, range(48, 64))
train_loader = DataLoader(train_set, batch_size=12)
val_loader = DataLoader(val_set, batch_size=16)

model = Tagger(12, 8, 16, 3)
model.apply(init_weights)
if os.path.exists(CHECKPOINT):
    model.load_state_dict(torch.load(CHECKPOINT))
else:
    torch.save(model.state_dict(), CHECKPOINT)
print(model)
print(sum(p.numel() for p in model.parameters() if p.requires_grad), "parameters")

decay = [p for n, p in model.named_parameters() if not n.endswith("bias")]
no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                               {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
epochs = 3
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.02, epochs=epochs,
                                                steps_per_epoch=len(train_loader))
criterion = nn.CrossEntropyLoss()
norms = []
handle = model.rnn.register_forward_hook(
    lambda module, args, output: norms.append(output[0].detach().norm().item()))
losses = []
for epoch in range(epochs):
    model.train()
    for src, target in train_loader:
        output = model(src.t())                         # (seq_len, batch, ntags)
        loss = criterion(output.reshape(-1, 3), target.t().reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        for src, target in val_loader:
            output = model(src.t())
            losses.append(criterion(output.reshape(-1, 3), target.t().reshape(-1)).item())
handle.remove()
model(torch.from_numpy(tokens[:2]).t())                  # not recorded any more
losses.extend(norms)
losses.append(len(norms))
losses.append(scheduler.get_last_lr()[0])
