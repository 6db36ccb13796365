"""DCGAN in the style of PyTorch's ``examples/dcgan`` and its tutorial, at a tiny size: a
generator of ``ConvTranspose2d`` + ``BatchNorm2d`` + ``ReLU`` ending in ``Tanh``, a
discriminator of ``Conv2d`` + ``LeakyReLU(0.2, inplace=True)`` ending in ``Sigmoid``, the
tutorial's ``weights_init`` through ``model.apply`` (``nn.init.normal_(m.weight.data, ...)``,
``m.bias.data.fill_(0)``), ``BCELoss`` on ``torch.full((b,), real_label)`` targets, two Adam
optimizers with ``betas=(0.5, 0.999)``, ``fake.detach()`` for the discriminator step,
``netD.zero_grad()``, and ``D_x = output.mean().item()``. Noise and data come from NumPy; the
initial weights from CHECKPOINT."""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

nz, ngf, ndf, nc = 8, 4, 4, 1


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),      # (ngf*2) x 4 x 4
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),     # ngf x 8 x 8
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),          # nc x 16 x 16
            nn.Tanh()
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),                   # ndf x 8 x 8
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),              # (ndf*2) x 4 x 4
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


netG = Generator()
netG.apply(weights_init)
netD = Discriminator()
netD.apply(weights_init)
if os.path.exists(CHECKPOINT):
    state = torch.load(CHECKPOINT)
    netG.load_state_dict(state['G'])
    netD.load_state_dict(state['D'])
else:
    torch.save({'G': netG.state_dict(), 'D': netD.state_dict()}, CHECKPOINT)

criterion = nn.BCELoss()
rng = np.random.default_rng(0)
data = np.tanh(rng.standard_normal((24, nc, 16, 16))).astype(np.float32)
fixed_noise = torch.from_numpy(rng.standard_normal((4, nz, 1, 1)).astype(np.float32))
real_label = 1.
fake_label = 0.
optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
losses = []
for i in range(3):
    real_cpu = torch.from_numpy(data[8 * i:8 * i + 8])
    b_size = real_cpu.size(0)
    noise = torch.from_numpy(rng.standard_normal((b_size, nz, 1, 1)).astype(np.float32))

    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    label = torch.full((b_size,), real_label, dtype=torch.float)
    output = netD(real_cpu)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()

    # (2) Update G network: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    print(f'[{i}] Loss_D: {errD.item():.4f} Loss_G: {errG.item():.4f} D(x): {D_x:.4f} '
          f'D(G(z)): {D_G_z1:.4f} / {D_G_z2:.4f}')
    losses.extend([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])

with torch.no_grad():
    fake = netG(fixed_noise).detach().cpu()
losses.append(float(fake.abs().mean()))
