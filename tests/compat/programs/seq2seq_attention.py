"""The "NLP From Scratch: Translation with a Sequence to Sequence Network and Attention"
tutorial's model and training step, on a toy reversal task: an Embedding + GRU encoder whose
outputs are written one step at a time into a preallocated ``torch.zeros`` buffer
(``encoder_outputs[ei] = encoder_output[0, 0]``), an attention decoder (``torch.cat``,
``F.softmax``, ``torch.bmm`` of ``unsqueeze``-d operands, ``F.log_softmax``), the loss summed
with ``loss += criterion(...)`` from ``loss = 0``, teacher forcing alternating with greedy
decoding through ``topk(1)`` / ``squeeze().detach()`` / ``.item()``, ``torch.tensor(...,
dtype=torch.long, device=device)`` inputs and two SGD optimizers."""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

device = torch.device("cpu")
SOS_token, EOS_token, MAX_LENGTH = 0, 1, 6

class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)
    def forward(self, input, hidden):
        embedded = self.embedding(input).view(1, 1, -1)
        output = embedded
        output, hidden = self.gru(output, hidden)
        return output, hidden
    def initHidden(self):
        return torch.zeros(1, 1, self.hidden_size, device=device)

class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.0, max_length=MAX_LENGTH):
        super().__init__()
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.max_length = max_length
        self.embedding = nn.Embedding(self.output_size, self.hidden_size)
        self.attn = nn.Linear(self.hidden_size * 2, self.max_length)
        self.attn_combine = nn.Linear(self.hidden_size * 2, self.hidden_size)
        self.dropout = nn.Dropout(dropout_p)
        self.gru = nn.GRU(self.hidden_size, self.hidden_size)
        self.out = nn.Linear(self.hidden_size, self.output_size)
    def forward(self, input, hidden, encoder_outputs):
        embedded = self.embedding(input).view(1, 1, -1)
        embedded = self.dropout(embedded)
        attn_weights = F.softmax(self.attn(torch.cat((embedded[0], hidden[0]), 1)), dim=1)
        attn_applied = torch.bmm(attn_weights.unsqueeze(0), encoder_outputs.unsqueeze(0))
        output = torch.cat((embedded[0], attn_applied[0]), 1)
        output = self.attn_combine(output).unsqueeze(0)
        output = F.relu(output)
        output, hidden = self.gru(output, hidden)
        output = F.log_softmax(self.out(output[0]), dim=1)
        return output, hidden, attn_weights

def train(input_tensor, target_tensor, encoder, decoder, encoder_optimizer, decoder_optimizer,
          criterion, teacher=True):
    encoder_hidden = encoder.initHidden()
    encoder_optimizer.zero_grad()
    decoder_optimizer.zero_grad()
    input_length = input_tensor.size(0)
    target_length = target_tensor.size(0)
    encoder_outputs = torch.zeros(MAX_LENGTH, encoder.hidden_size, device=device)
    loss = 0
    for ei in range(input_length):
        encoder_output, encoder_hidden = encoder(input_tensor[ei], encoder_hidden)
        encoder_outputs[ei] = encoder_output[0, 0]
    decoder_input = torch.tensor([[SOS_token]], device=device)
    decoder_hidden = encoder_hidden
    for di in range(target_length):
        decoder_output, decoder_hidden, decoder_attention = decoder(
            decoder_input, decoder_hidden, encoder_outputs)
        if teacher:
            loss += criterion(decoder_output, target_tensor[di])
            decoder_input = target_tensor[di]
        else:
            topv, topi = decoder_output.topk(1)
            decoder_input = topi.squeeze().detach()
            loss += criterion(decoder_output, target_tensor[di])
            if decoder_input.item() == EOS_token:
                break
    loss.backward()
    encoder_optimizer.step()
    decoder_optimizer.step()
    return loss.item() / target_length

encoder = EncoderRNN(10, 8)
decoder = AttnDecoderRNN(8, 10)
if os.path.exists(CHECKPOINT):
    state = torch.load(CHECKPOINT)
    encoder.load_state_dict(state["encoder"])
    decoder.load_state_dict(state["decoder"])
else:
    torch.save({"encoder": encoder.state_dict(), "decoder": decoder.state_dict()}, CHECKPOINT)
encoder_optimizer = optim.SGD(encoder.parameters(), lr=0.05)
decoder_optimizer = optim.SGD(decoder.parameters(), lr=0.05)
criterion = nn.NLLLoss()
rng = np.random.default_rng(0)
losses = []
for it in range(6):
    seq = rng.integers(2, 10, 4)
    input_tensor = torch.tensor(np.append(seq, EOS_token), dtype=torch.long,
                                device=device).view(-1, 1)
    target_tensor = torch.tensor(np.append(seq[::-1], EOS_token).copy(), dtype=torch.long,
                                 device=device).view(-1, 1)
    losses.append(train(input_tensor, target_tensor, encoder, decoder, encoder_optimizer,
                        decoder_optimizer, criterion, teacher=(it % 2 == 0)))
print(losses)
