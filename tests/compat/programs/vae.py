"""A variational autoencoder in the style of PyTorch's ``examples/vae/main.py`` (fc1 -> fc21 /
fc22 -> reparameterize -> fc3 -> fc4, BCE + KL divergence, Adam), on 8x8 images. The noise of
the reparameterization trick comes from NumPy (``torch.randn_like`` draws differ between
libraries): one array per step, passed in."""

import os

import numpy as np
import torch
from torch import nn, optim
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5*logvar)
        return mu + eps*std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction='sum')

    # see Appendix B from VAE paper:
    # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD


rng = np.random.default_rng(0)
images = rng.random((64, 1, 8, 8)).astype(np.float32) ** 3
noise = rng.standard_normal((3 * 4, 16, 4)).astype(np.float32)
train_loader = DataLoader(TensorDataset(torch.from_numpy(images)), batch_size=16)

device = torch.device("cpu")
model = VAE().to(device)
if os.path.exists(CHECKPOINT):
    model.load_state_dict(torch.load(CHECKPOINT))
else:
    torch.save(model.state_dict(), CHECKPOINT)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
losses = []
step = 0


def train(epoch):
    global step
    model.train()
    train_loss = 0
    for batch_idx, (data,) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, torch.from_numpy(noise[step]))
        step += 1
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(data))
    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / len(train_loader.dataset)))


for epoch in range(1, 4):
    train(epoch)
    with torch.no_grad():
        sample = model.decode(torch.from_numpy(noise[0][:4]))
        losses.append(sample.sum().item())
