"""Ground truth for memlens' PyTorch CPU profile (server/src/core/analysis/framework/), one layer at a time.

For every case below it builds `nn.Sequential(<layers>)` (a recurrent layer: the layer alone, its
output the first of the (output, state) it returns; nn.MultiheadAttention: a wrapper that calls it
as attn(x, x, x) and keeps the output; a model case: its module source, then `build`), runs one step on a random input and records
the CPU allocator's peak during that step, relative to just before it (the method of
scripts/python_oracle.py: torch.autograd.profiler.profile(profile_memory=True, use_kineto=False),
'[memory]' records sorted by start time, the maximum of the running sum), after one warm-up step:
  infer  model.eval(), torch.no_grad(), one forward;
  train  model.train(), every p.grad = None, out = model(x), out.sum().backward().
Writes test/fixtures/python/torch_ops.json; the test builds the same Sequential from Python source
through memlens' own frontend and compares. oneDNN's blocked layouts follow the CPU's vectors, so the
JSON records cpuVectorBits (512: AVX-512, 256: AVX2).

    apt-get install -y python3-torch        # Debian 12: torch 1.13
    /usr/bin/python3 scripts/torch_op_oracle.py
"""
import datetime
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_oracle import cpu_vector_bits, warm_peak  # noqa: E402
from torch_activation_cases import ACTIVATION_CASES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "python", "torch_ops.json")

# (id, layers as Python source, input shape, modes)
CASES = [
    ("conv_cin3_b1", "nn.Conv2d(3, 8, 3, padding=1)", [1, 3, 8, 8], ["infer", "train"]),
    ("conv_cin3_b4", "nn.Conv2d(3, 8, 3, padding=1)", [4, 3, 8, 8], ["infer", "train"]),
    ("conv_cin16_b4", "nn.Conv2d(16, 32, 3, padding=1)", [4, 16, 8, 8], ["infer", "train"]),
    ("conv_64_b1_large", "nn.Conv2d(64, 64, 3, padding=1, bias=False)", [1, 64, 32, 32], ["infer"]),
    ("conv_64_b1_small", "nn.Conv2d(64, 64, 3, padding=1, bias=False)", [1, 64, 8, 8], ["infer", "train"]),
    ("conv_1x1_b2", "nn.Conv2d(64, 128, 1, bias=False)", [2, 64, 8, 8], ["infer"]),
    ("conv_depthwise_b2", "nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False)", [2, 32, 8, 8], ["infer"]),
    ("conv_cin24_b2", "nn.Conv2d(24, 24, 3, padding=1)", [2, 24, 8, 8], ["infer"]),
    ("conv_bn_relu_pool", "nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2)", [4, 16, 8, 8], ["infer", "train"]),
    ("relu_conv", "nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1, bias=False)", [2, 32, 8, 8], ["train"]),
    ("maxpool", "nn.MaxPool2d(2)", [4, 16, 8, 8], ["infer"]),
    ("maxpool_dilated", "nn.Conv2d(3, 8, 3, padding=1), nn.MaxPool2d(3, stride=2, dilation=2)", [4, 3, 17, 17], ["infer", "train"]),
    ("upsample_fractional", "nn.Conv2d(3, 4, 3, padding=1), nn.Upsample(scale_factor=1.5)", [2, 3, 7, 9], ["infer", "train"]),
    ("upsample_size_nearest", "nn.Conv2d(3, 4, 3, padding=1), nn.Upsample(size=(10, 11))", [2, 3, 7, 9], ["infer", "train"]),
    ("mlp_dropout", "nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10)", [8, 64], ["infer", "train"]),
    ("layernorm", "nn.Linear(64, 64), nn.LayerNorm(64)", [8, 16, 64], ["infer", "train"]),
    ("conv_transpose", "nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False)", [4, 64, 8, 8], ["infer", "train"]),
    ("relu_conv_transpose", "nn.ReLU(), nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.Tanh()", [2, 16, 8, 8], ["infer", "train"]),
    ("batchnorm", "nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16)", [4, 16, 8, 8], ["infer", "train"]),
    # torch.nn layers beyond the first table (server/src/core/python/moreLayers.ts)
    ("pixel_unshuffle", "nn.Conv2d(2, 4, 1, bias=False), nn.PixelUnshuffle(2)", [2, 2, 6, 6], ["infer", "train"]),
    # torch 1.13 has no derivative for channel_shuffle: inference only
    ("channel_shuffle", "nn.Conv2d(2, 4, 1, bias=False), nn.ChannelShuffle(2)", [2, 2, 6, 6], ["infer"]),
    ("alpha_dropout", "nn.Conv2d(2, 4, 1, bias=False), nn.AlphaDropout(0.3)", [2, 2, 6, 6], ["infer", "train"]),
    ("feature_alpha_dropout", "nn.Conv2d(2, 4, 1, bias=False), nn.FeatureAlphaDropout(0.3), nn.Conv2d(4, 1, 1)", [2, 2, 6, 6], ["infer", "train"]),
    ("adaptive_maxpool2d", "nn.Conv2d(2, 4, 1, bias=False), nn.AdaptiveMaxPool2d(3)", [2, 2, 6, 6], ["infer", "train"]),
    ("adaptive_maxpool3d", "nn.AdaptiveMaxPool3d((2, 3, 3))", [2, 4, 4, 6, 6], ["infer"]),
    ("upsampling_nearest2d", "nn.Conv2d(2, 4, 1, bias=False), nn.UpsamplingNearest2d(scale_factor=2)", [2, 2, 6, 6], ["infer", "train"]),
    ("upsampling_bilinear2d", "nn.Conv2d(2, 4, 1, bias=False), nn.UpsamplingBilinear2d(scale_factor=2)", [2, 2, 6, 6], ["infer", "train"]),
    ("unflatten", "nn.Linear(12, 12), nn.Unflatten(1, (3, 4))", [4, 12], ["infer", "train"]),
    # a small head after the pooling: the oracle's out.sum() seeds the backward with 4 bytes, memlens with the output's size
    ("lppool2d", "nn.Conv2d(2, 4, 1, bias=False), nn.LPPool2d(2, 2), nn.Flatten(), nn.Linear(36, 1)", [2, 2, 6, 6], ["infer", "train"]),
    ("lppool2d_ceil", "nn.Conv2d(2, 4, 1, bias=False), nn.LPPool2d(3, (3, 2), stride=2, ceil_mode=True), nn.Flatten(), nn.Linear(4 * 3 * 3, 1)", [4, 2, 6, 6], ["infer", "train"]),
    ("lppool1d", "nn.LPPool1d(3, 2)", [2, 4, 8], ["infer"]),
    ("local_response_norm", "nn.Conv2d(2, 4, 1, bias=False), nn.LocalResponseNorm(3), nn.Conv2d(4, 1, 1)", [2, 2, 6, 6], ["infer", "train"]),
    ("local_response_norm_3d", "nn.Conv2d(3, 6, 1, bias=False), nn.Flatten(2), nn.LocalResponseNorm(4, k=2.0), nn.Flatten(), nn.Linear(6 * 25, 1)", [3, 3, 5, 5], ["infer", "train"]),
    # CircularPad2d is torch 2.1's; here (1.13) it is F.pad(mode='circular'), which 2.1's layer calls
    ("circular_pad2d", "nn.Conv2d(2, 4, 1, bias=False), nn.CircularPad2d((1, 2, 1, 1)), nn.Conv2d(4, 1, 1)", [2, 2, 6, 6], ["infer", "train"]),
    # batch norm's per-channel scale and shift (made in inference too), here larger than the activations
    ("batchnorm1d_wide", "nn.Linear(16, 1024, bias=False), nn.BatchNorm1d(1024)", [2, 16], ["infer", "train"]),
    # Dropout2d draws one value per sample and channel ([N, C, 1, 1]), not one per element
    ("dropout2d", "nn.Conv2d(16, 32, 1, bias=False), nn.Dropout2d(0.25), nn.Conv2d(32, 8, 1, bias=False)", [4, 16, 8, 8], ["infer", "train"]),
    # reflection and replication pads keep their input for the backward (a constant pad does not)
    ("reflection_pad2d", "nn.Conv2d(2, 8, 1, bias=False), nn.ReflectionPad2d(2), nn.Conv2d(8, 1, 1)", [4, 2, 16, 16], ["infer", "train"]),
    ("replication_pad2d", "nn.Conv2d(2, 8, 1, bias=False), nn.ReplicationPad2d((1, 2, 0, 3)), nn.Conv2d(8, 1, 1)", [4, 2, 16, 16], ["train"]),
    # its backward walks one CopySlices per copy (the middle, then each border), the padded size three times at once
    ("circular_pad1d", "nn.Linear(7, 7), nn.CircularPad1d((2, 1)), nn.Linear(10, 1)", [2, 3, 7], ["infer", "train"]),
    ("circular_pad3d", "nn.Linear(5, 5), nn.CircularPad3d((1, 0, 2, 1, 0, 1)), nn.Linear(6, 1)", [2, 2, 3, 4, 5], ["infer", "train"]),
    ("conv_circular", "nn.Conv2d(2, 16, 1, bias=False), nn.Conv2d(16, 16, 3, padding=1, padding_mode='circular')", [2, 2, 6, 6], ["infer", "train"]),
    # interpolation: index and weight arrays per spatial axis (none for a channels-last input: one channel)
    ("upsample_bilinear", "nn.Conv2d(2, 4, 1, bias=False), nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)", [2, 2, 5, 6], ["infer", "train"]),
    ("upsample_nearest1d", "nn.Linear(7, 7), nn.Upsample(scale_factor=3)", [2, 3, 7], ["infer", "train"]),
    ("upsample_linear1d", "nn.Linear(7, 7), nn.Upsample(scale_factor=2, mode='linear')", [2, 3, 7], ["infer", "train"]),
    ("upsample_trilinear", "nn.Linear(5, 5), nn.Upsample(scale_factor=2, mode='trilinear')", [2, 2, 3, 4, 5], ["infer", "train"]),
    ("upsample_nearest3d", "nn.Linear(5, 5), nn.Upsample(scale_factor=2)", [2, 2, 3, 4, 5], ["infer"]),
    ("upsample_bicubic", "nn.Conv2d(2, 4, 1, bias=False), nn.Upsample(scale_factor=2, mode='bicubic')", [2, 2, 5, 6], ["infer", "train"]),
    ("upsample_nearest_exact", "nn.Conv2d(2, 4, 1, bias=False), nn.Upsample(scale_factor=3, mode='nearest-exact')", [2, 2, 5, 6], ["infer"]),
    ("upsample_one_channel", "nn.Conv2d(2, 1, 1, bias=False), nn.Upsample(scale_factor=2, mode='bilinear')", [2, 2, 5, 6], ["infer", "train"]),
    ("upsample_one_channel_bicubic", "nn.Conv2d(2, 1, 1, bias=False), nn.Upsample(scale_factor=2, mode='bicubic')", [2, 2, 5, 6], ["infer"]),
    # torch 1.13's SyncBatchNorm raises on a CPU input in either mode: recorded as the error
    ("sync_batchnorm", "nn.Conv2d(2, 4, 1, bias=False), nn.SyncBatchNorm(4)", [2, 2, 6, 6], ["infer", "train"]),
]

# recurrent layers, called alone (they return (output, state)): (id, layer as Python source, input shape, modes);
# the batch is the input's first axis with batch_first=True, its second otherwise
RNN_CASES = [
    ("lstm_b1", "nn.LSTM(16, 32, batch_first=True)", [1, 12, 16], ["infer", "train"]),
    ("lstm_b8", "nn.LSTM(16, 32, batch_first=True)", [8, 12, 16], ["infer", "train"]),
    ("lstm_2layer_dropout", "nn.LSTM(16, 32, 2, batch_first=True, dropout=0.3)", [8, 12, 16], ["infer", "train"]),
    ("lstm_bidirectional", "nn.LSTM(16, 32, batch_first=True, bidirectional=True)", [8, 12, 16], ["infer", "train"]),
    ("lstm_bi_2layer_b1", "nn.LSTM(16, 32, 2, batch_first=True, bidirectional=True)", [1, 12, 16], ["infer", "train"]),
    ("gru_b8", "nn.GRU(16, 32, batch_first=True)", [8, 12, 16], ["infer", "train"]),
    ("gru_bi_2layer", "nn.GRU(16, 32, 2, batch_first=True, bidirectional=True)", [8, 12, 16], ["infer", "train"]),
    ("rnn_b1", "nn.RNN(16, 32, batch_first=True)", [1, 12, 16], ["infer", "train"]),
    # a wide hidden state: the training peak is the backward's three H x 4H weight gradients
    ("lstm_h256_b2", "nn.LSTM(16, 256, batch_first=True)", [2, 12, 16], ["train"]),
    ("rnn_2layer_b8", "nn.RNN(16, 32, 2, batch_first=True)", [8, 12, 16], ["infer", "train"]),
    # time-major inputs [L, N, F] (batch_first=False): no transposed copy of the input
    ("lstm_seq_first_2layer_dropout", "nn.LSTM(16, 32, 2, dropout=0.5)", [12, 8, 16], ["infer", "train"]),
    ("gru_seq_first_bi", "nn.GRU(16, 32, bidirectional=True)", [12, 4, 16], ["infer", "train"]),
    ("rnn_seq_first_3layer_b2", "nn.RNN(16, 24, 3, dropout=0.2)", [6, 2, 16], ["train"]),
    # no biases: no bias gradients, and the backward makes its gradients in another order
    ("lstm_nobias_bi", "nn.LSTM(16, 32, batch_first=True, bidirectional=True, bias=False)", [8, 12, 16], ["infer", "train"]),
    ("gru_nobias_seq_first_2layer", "nn.GRU(16, 32, 2, bias=False, dropout=0.3)", [12, 4, 16], ["infer", "train"]),
]

# small models that loop a recurrent cell over time steps in Python, as users write them:
# (id, module source defining `Net`, the model built from it, input shape, modes[, input dtype])
CELL_LOOP = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, input):
        outputs = []
        h_t = torch.zeros(input.size(0), 51)
        c_t = torch.zeros(input.size(0), 51)
        h_t2 = torch.zeros(input.size(0), 51)
        c_t2 = torch.zeros(input.size(0), 51)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            outputs += [self.linear(h_t2)]
        return torch.cat(outputs, dim=1)
"""
GRU_LOOP = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.GRUCell(8, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        h = self.cell(x[:, 0])
        for t in range(1, x.size(1)):
            h = self.cell(x[:, t], h)
        return self.head(h)
"""
RNN_LOOP = """
class Net(nn.Module):
    def __init__(self, nonlinearity, steps):
        super().__init__()
        self.cell = nn.RNNCell(8, 16, nonlinearity=nonlinearity)
        self.head = nn.Linear(16 * steps, 2)

    def forward(self, x):
        h = torch.zeros(x.size(0), 16)
        outs = []
        for t in range(x.size(1)):
            h = self.cell(x[:, t], h)
            outs.append(h)
        return self.head(torch.cat(outs, dim=1))
"""
LSTM_NO_STATE = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(8, 32, bias=False)

    def forward(self, x):
        h, c = self.cell(x[:, 0])
        for t in range(1, x.size(1)):
            h, c = self.cell(x[:, t], (h, c))
        return h
"""
BILINEAR = """
class Net(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.a = nn.Linear(6, 5)
        self.b = nn.Linear(6, 7)
        self.bilinear = nn.Bilinear(5, 7, 11, bias=bias)
        # a small output: the oracle's out.sum() seeds the backward with 4 bytes, memlens with the output's size
        self.head = nn.Linear(11, 1)

    def forward(self, x):
        return self.head(self.bilinear(self.a(x), self.b(x)))
"""
BILINEAR_ONE_GRAD = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.Linear(6, 7)
        self.bilinear = nn.Bilinear(6, 7, 3)

    def forward(self, x):
        return self.bilinear(x, self.b(x))
"""
# a recurrent layer's initial state: made in the forward from the batch, or made before the step
# and passed in (the word language model's init_hidden, weight.new_zeros)
LSTM_STATE_IN_FORWARD = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = 2
        self.hidden = 16
        self.lstm = nn.LSTM(8, 16, 2, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        h0 = torch.zeros(self.layers, x.size(0), self.hidden)
        c0 = torch.zeros(self.layers, x.size(0), self.hidden)
        out, _ = self.lstm(x, (h0, c0))
        return self.head(out)
"""
GRU_STATE_IN_FORWARD = """
class Net(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = layers
        self.gru = nn.GRU(8, 12, layers, batch_first=True)

    def forward(self, x):
        h0 = torch.zeros(self.layers, x.size(0), 12)
        out, _ = self.gru(x, h0)
        return out
"""
STATE_PASSED = """
class Net(nn.Module):
    def __init__(self, kind, layers):
        super().__init__()
        self.kind = kind
        self.layers = layers
        self.encoder = nn.Embedding(50, 8)
        self.rnn = getattr(nn, kind)(8, 16, layers)
        self.decoder = nn.Linear(16, 50)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.encoder(input), hidden)
        return self.decoder(output)

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.kind == 'LSTM':
            return (weight.new_zeros(self.layers, bsz, 16), weight.new_zeros(self.layers, bsz, 16))
        return weight.new_zeros(self.layers, bsz, 16)
"""
STATE_BATCH_FIRST = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 12, 2, batch_first=True)
        self.head = nn.Linear(12, 1)

    def forward(self, x, h0):
        return self.head(self.gru(x, h0)[0])
"""
# a mask made outside the model and passed in: a float causal mask read by attention, a bool one by masked_fill
MASK_ATTENTION = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, src, src_mask):
        return self.head(self.attn(src, src, src, attn_mask=src_mask, need_weights=False)[0])
"""
MASK_FILL = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)

    def forward(self, x, mask):
        return self.fc(x).masked_fill(mask, float('-inf')).softmax(-1)
"""
# one convolution called twice: its two weight gradients are summed by the engine once the first
# node's backward has freed its blocked copies
SHARED_CONV = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(128, 128, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv(self.conv(x))
"""
# a weight tied to another layer's (b.weight = a.weight): b's backward makes the tied tensor's
# gradient, held until a's backward makes its own and the engine sums the two
TIED_LINEAR = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(512, 512)
        self.b = nn.Linear(512, 512)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(torch.tanh(self.a(x)))
"""
INTERPOLATE = """
class Net(nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 1, bias=False)
        self.mode = mode

    def forward(self, x):
        return torch.nn.functional.interpolate(self.conv(x), scale_factor=2, mode=self.mode)
"""
# ConvNeXt's block: a depthwise convolution of a permuted NHWC result (channels-last); oneDNN's
# weight gradient then takes a scratch of 256 weight copies for a kernel wider than 3 x 3
DEPTHWISE_CHANNELS_LAST = """
class Net(nn.Module):
    def __init__(self, channels, kernel, bias):
        super().__init__()
        self.pw = nn.Linear(channels, channels)
        self.dw = nn.Conv2d(channels, channels, kernel, padding=kernel // 2, groups=channels, bias=bias)

    def forward(self, x):
        return self.dw(self.pw(x).permute(0, 3, 1, 2))
"""
# reductions (server/src/core/ops/reduce.ts): a Linear, then one reduction of its output `y`, over
# some axes, the batch axis or all of them; the step's out.sum() then reduces what is left
REDUCTION = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 32)

    def forward(self, x):
        y = self.fc(x)
        return {}
"""
CONV_REDUCTION = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return {}
"""
BOTH_MODES = ["infer", "train"]
# (id, module template, reduction of y, modes); the input is [8, 16] ([4, 3, 8, 8] for the convolution)
REDUCTION_CASES = [
    ("reduce_sum_all", REDUCTION, "y.sum()", BOTH_MODES),
    ("reduce_mean_all", REDUCTION, "torch.mean(y)", BOTH_MODES),
    ("reduce_mean_batch", REDUCTION, "y.mean(0)", BOTH_MODES),
    ("reduce_sum_batch_keepdim", REDUCTION, "torch.sum(y, 0, keepdim=True)", BOTH_MODES),
    ("reduce_pow_sum", REDUCTION, "y.pow(2).sum()", BOTH_MODES),
    ("reduce_sum_rows", REDUCTION, "y.sum(1)", BOTH_MODES),
    ("reduce_mean_rows_keepdim", REDUCTION, "y.mean(-1, keepdim=True)", BOTH_MODES),
    ("reduce_conv_sum_batch_spatial", CONV_REDUCTION, "y.sum((0, 2, 3))", BOTH_MODES),
    ("reduce_conv_mean_spatial", CONV_REDUCTION, "y.mean([2, 3])", BOTH_MODES),
    ("norm_all", REDUCTION, "y.norm()", BOTH_MODES),
    ("norm_rows", REDUCTION, "torch.norm(y, dim=1)", BOTH_MODES),
    ("max_all", REDUCTION, "y.max()", ["infer"]),
    ("min_all", REDUCTION, "y.min()", ["infer"]),
    ("max_dim_values", REDUCTION, "torch.max(y, 1).values", BOTH_MODES),
    ("min_dim_keepdim_values", REDUCTION, "y.min(dim=1, keepdim=True)[0]", BOTH_MODES),
    ("max_dim_indices", REDUCTION, "y.max(1)[1]", ["infer"]),
    ("amax_rows", REDUCTION, "y.amax(1)", ["infer"]),
    ("amin_all", REDUCTION, "torch.amin(y, dim=(0, 1))", ["infer"]),
    ("argmax_rows", REDUCTION, "y.argmax(1)", ["infer"]),
    ("argmin_all", REDUCTION, "y.argmin()", ["infer"]),
]
MODEL_CASES = [
    *[(case_id, template.format(expr), "Net()", [4, 3, 8, 8] if template is CONV_REDUCTION else [8, 16], modes) for case_id, template, expr, modes in REDUCTION_CASES],
    ("lstm_state_in_forward", LSTM_STATE_IN_FORWARD, "Net()", [4, 6, 8], ["infer", "train"]),
    ("gru_state_in_forward", GRU_STATE_IN_FORWARD, "Net(1)", [5, 3, 8], ["infer", "train"]),
    ("gru_2layer_state_in_forward", GRU_STATE_IN_FORWARD, "Net(2)", [5, 3, 8], ["infer", "train"]),

    ("shared_conv", SHARED_CONV, "Net()", [2, 128, 4, 4], ["infer", "train"]),
    ("tied_linear", TIED_LINEAR, "Net()", [2, 512], ["infer", "train"]),
    ("depthwise_channels_last_k7", DEPTHWISE_CHANNELS_LAST, "Net(96, 7, True)", [1, 4, 4, 96], ["infer", "train"]),
    ("depthwise_channels_last_k7_b2", DEPTHWISE_CHANNELS_LAST, "Net(64, 7, True)", [2, 8, 8, 64], ["infer", "train"]),
    ("depthwise_channels_last_k5_nobias", DEPTHWISE_CHANNELS_LAST, "Net(48, 5, False)", [1, 6, 6, 48], ["infer", "train"]),
    ("interpolate_bilinear", INTERPOLATE, "Net('bilinear')", [2, 2, 5, 6], ["infer", "train"]),
    ("interpolate_nearest", INTERPOLATE, "Net('nearest')", [3, 2, 4, 6], ["infer", "train"]),
    ("bilinear", BILINEAR, "Net(True)", [8, 6], ["infer", "train"]),
    ("bilinear_no_bias", BILINEAR, "Net(False)", [3, 6], ["infer", "train"]),
    ("bilinear_one_grad", BILINEAR_ONE_GRAD, "Net()", [4, 6], ["infer", "train"]),
    ("lstm_cell_loop", CELL_LOOP, "Net()", [3, 20], ["infer", "train"]),
    ("lstm_cell_loop_b16", CELL_LOOP, "Net()", [16, 10], ["infer", "train"]),
    ("lstm_cell_no_state", LSTM_NO_STATE, "Net()", [4, 6, 8], ["infer", "train"]),
    ("gru_cell_loop", GRU_LOOP, "Net()", [4, 6, 8], ["infer", "train"]),
    ("rnn_cell_loop", RNN_LOOP, "Net('tanh', 6)", [4, 6, 8], ["infer", "train"]),
    ("rnn_relu_cell_loop", RNN_LOOP, "Net('relu', 5)", [2, 5, 8], ["infer", "train"]),
    # pytorch/examples' time_sequence_prediction runs in float64
    ("lstm_cell_loop_fp64", CELL_LOOP.replace(", 51)", ", 51, dtype=torch.double)"), "Net().double()", [3, 20], ["infer", "train"], "float64"),
    ("gru_cell_loop_fp64", GRU_LOOP, "Net().double()", [4, 6, 8], ["infer", "train"], "float64"),
    ("rnn_cell_loop_fp64", RNN_LOOP.replace("x.size(0), 16)", "x.size(0), 16, dtype=torch.double)"), "Net('tanh', 6).double()", [4, 6, 8], ["infer", "train"], "float64"),
    ("mlp_fp64", "class Net(nn.Sequential):\n    def __init__(self):\n        super().__init__(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10))\n", "Net().double()", [8, 64], ["infer", "train"], "float64"),
]


# (id, module source, build, input shape, input dtype, a second input made before the step: a
# recurrent state or a mask (Python over `model`), modes): the step is out = model(x, state)
STATE_CASES = [
    ("attention_mask_passed", MASK_ATTENTION, "Net()", [4, 10, 32], "float", "nn.Transformer.generate_square_subsequent_mask(10)", ["infer", "train"]),
    ("masked_fill_mask_passed", MASK_FILL, "Net()", [4, 10, 10], "float", "torch.triu(torch.ones(10, 10), diagonal=1).bool()", ["infer", "train"]),
    ("lstm_init_hidden", STATE_PASSED, "Net('LSTM', 2)", [7, 4], "long", "model.init_hidden(4)", ["infer", "train"]),
    ("gru_init_hidden", STATE_PASSED, "Net('GRU', 1)", [7, 4], "long", "model.init_hidden(4)", ["infer", "train"]),
    ("gru_state_batch_first", STATE_BATCH_FIRST, "Net()", [3, 5, 8], "float", "torch.zeros(2, 3, 12)", ["infer", "train"]),
]


class _Circular(nn.Module):
    """torch 2.1's CircularPad1d/2d/3d on torch 1.13: F.pad(x, padding, mode='circular')"""

    def __init__(self, dims, padding):
        super().__init__()
        self.padding = (padding,) * (2 * dims) if isinstance(padding, int) else tuple(padding)

    def forward(self, x):
        return torch.nn.functional.pad(x, self.padding, mode="circular")


# torch.nn as the cases read it: with the layers this torch lacks
NN = type("nn", (), {})()
NN.__dict__.update({k: getattr(nn, k) for k in dir(nn) if not k.startswith("__")})
for _d in (1, 2, 3):
    if not hasattr(nn, f"CircularPad{_d}d"):
        setattr(NN, f"CircularPad{_d}d", lambda padding, _d=_d: _Circular(_d, padding))

# params and output shapes of single layers (test/unit/python/layers2.test.ts): (id, layer, inputs
# as shapes, or a call's source over `x`); the state dict's names and shapes, and the output's
LAYER_FIGURES = [
    ("LSTMCell", "nn.LSTMCell(10, 20)", [[4, 10]]),
    ("LSTMCell_nobias", "nn.LSTMCell(10, 20, bias=False)", [[4, 10]]),
    ("GRUCell", "nn.GRUCell(10, 20)", [[4, 10], [4, 20]]),
    ("RNNCell_relu", "nn.RNNCell(10, 20, nonlinearity='relu')", [[4, 10]]),
    ("RNNCell_nobias", "nn.RNNCell(3, 5, False)", [[2, 3], [2, 5]]),
    ("Bilinear", "nn.Bilinear(5, 7, 3)", [[4, 5], [4, 7]]),
    ("Bilinear_3d", "nn.Bilinear(5, 7, 3, bias=False)", [[4, 6, 5], [4, 6, 7]]),
    ("Unflatten", "nn.Unflatten(1, (2, 5))", [[3, 10]]),
    ("Unflatten_inferred", "nn.Unflatten(-1, (2, -1))", [[3, 4, 10]]),
    ("PixelUnshuffle", "nn.PixelUnshuffle(3)", [[2, 4, 9, 6]]),
    ("ChannelShuffle", "nn.ChannelShuffle(3)", [[2, 6, 4, 4]]),
    ("UpsamplingNearest2d", "nn.UpsamplingNearest2d(scale_factor=3)", [[2, 3, 4, 5]]),
    ("UpsamplingBilinear2d", "nn.UpsamplingBilinear2d(scale_factor=2)", [[2, 3, 4, 5]]),
    ("AdaptiveMaxPool3d", "nn.AdaptiveMaxPool3d((2, 3, None))", [[2, 3, 8, 8, 5]]),
    # dilated max pooling: the window spans d (k - 1) + 1; a fractional or per-axis scale_factor: floor(in * scale); an explicit size
    ("MaxPool2d_dilated", "nn.MaxPool2d(3, stride=2, dilation=2)", [[2, 3, 17, 17]]),
    ("MaxPool2d_dilated_ceil", "nn.MaxPool2d(3, 2, 1, dilation=(2, 3), ceil_mode=True)", [[1, 2, 17, 16]]),
    ("MaxPool1d_dilated", "nn.MaxPool1d(3, dilation=3)", [[1, 2, 20]]),
    ("MaxPool3d_dilated", "nn.MaxPool3d(2, dilation=2)", [[1, 2, 6, 7, 8]]),
    ("Upsample_fractional", "nn.Upsample(scale_factor=1.5)", [[2, 3, 7, 9]]),
    ("Upsample_per_axis", "nn.Upsample(scale_factor=(2.5, 1.7), mode='bilinear')", [[1, 2, 7, 9]]),
    ("Upsample_down", "nn.Upsample(scale_factor=0.5)", [[1, 2, 7, 9]]),
    ("Upsample_size", "nn.Upsample(size=(10, 11), mode='bilinear')", [[2, 3, 7, 9]]),
    ("Upsample_size_int", "nn.Upsample(size=5)", [[2, 3, 7, 9]]),
    ("UpsamplingNearest2d_size", "nn.UpsamplingNearest2d(size=(6, 13))", [[2, 3, 4, 5]]),
    ("LPPool1d", "nn.LPPool1d(2, 3)", [[2, 3, 10]]),
    ("LPPool2d", "nn.LPPool2d(1.5, (2, 3), stride=(2, 1), ceil_mode=True)", [[2, 3, 7, 8]]),
    ("LocalResponseNorm", "nn.LocalResponseNorm(3)", [[2, 5, 4, 4]]),
    ("LocalResponseNorm_3d", "nn.LocalResponseNorm(2, alpha=1e-3, beta=0.5, k=2.0)", [[2, 5, 7]]),
    ("AlphaDropout", "nn.AlphaDropout(0.2)", [[4, 7]]),
    ("FeatureAlphaDropout", "nn.FeatureAlphaDropout(0.2)", [[4, 3, 5, 5]]),
    ("CircularPad1d", "nn.CircularPad1d((1, 2))", [[2, 3, 5]]),
    ("CircularPad2d", "nn.CircularPad2d(2)", [[2, 3, 5, 4]]),
    ("CircularPad3d", "nn.CircularPad3d((1, 0, 2, 1, 0, 1))", [[2, 3, 4, 4, 4]]),
]
# built only (torch 1.13 runs SyncBatchNorm on GPU inputs alone): the state dict
LAYER_STATES = [("SyncBatchNorm", "nn.SyncBatchNorm(6)"), ("SyncBatchNorm_plain", "nn.SyncBatchNorm(6, affine=False, track_running_stats=False)")]


def layer_figures():
    out = {}
    for case_id, layer, inputs in LAYER_FIGURES:
        model = eval(layer, {"nn": NN})
        xs = [torch.randn(*s) for s in inputs]
        args = xs if len(xs) < 3 else [xs[0], (xs[1], xs[2])]
        y = model(*args)
        shapes = [list(t.shape) for t in (y if isinstance(y, tuple) else (y,))]
        out[case_id] = {"layer": layer, "inputs": inputs, "state": {k: list(v.shape) for k, v in model.state_dict().items()}, "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad), "output": shapes}
    for case_id, layer in LAYER_STATES:
        model = eval(layer, {"nn": NN})
        out[case_id] = {"layer": layer, "state": {k: list(v.shape) for k, v in model.state_dict().items()}, "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad)}
    return out

# nn.MultiheadAttention, self-attention through a wrapper (ATTENTION_WRAPPER: attn(x, x, x) returns
# (output, weights), of which the output is kept): (id, layer as Python source, input shape, call
# keywords, modes). The input is [N, L, E] with batch_first=True, [L, N, E] without. Inference
# with batch_first=True, dropout 0, even heads and no mask takes torch's fused fast path.
ATTENTION_CASES = [
    ("mha_seq_b1", "nn.MultiheadAttention(64, 4)", [16, 1, 64], {}, ["infer", "train"]),
    ("mha_seq_b8", "nn.MultiheadAttention(64, 4)", [32, 8, 64], {}, ["infer", "train"]),
    ("mha_bf_b1", "nn.MultiheadAttention(64, 4, batch_first=True)", [1, 16, 64], {}, ["infer", "train"]),
    ("mha_bf_b8", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 32, 64], {}, ["infer", "train"]),
    # the averaged weights [N, L, L] outgrow q, k, v when L > E
    ("mha_bf_b8_long", "nn.MultiheadAttention(32, 4, batch_first=True)", [8, 64, 32], {}, ["infer", "train"]),
    ("mha_seq_b8_long", "nn.MultiheadAttention(32, 4)", [64, 8, 32], {}, ["infer", "train"]),
    ("mha_bf_b8_noweights", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 64, 64], {"need_weights": False}, ["infer", "train"]),
    ("mha_seq_b8_noweights", "nn.MultiheadAttention(64, 4)", [64, 8, 64], {"need_weights": False}, ["infer", "train"]),
    ("mha_wide_bf_b8", "nn.MultiheadAttention(256, 8, batch_first=True)", [8, 48, 256], {}, ["infer", "train"]),
    ("mha_wide_seq_b1", "nn.MultiheadAttention(256, 8)", [48, 1, 256], {}, ["infer", "train"]),
    ("mha_dropout_bf_b8", "nn.MultiheadAttention(64, 4, dropout=0.1, batch_first=True)", [8, 32, 64], {}, ["infer", "train"]),
    ("mha_dropout_seq_b1", "nn.MultiheadAttention(64, 4, dropout=0.1)", [16, 1, 64], {}, ["infer", "train"]),
    ("mha_nobias_seq_b8", "nn.MultiheadAttention(64, 4, bias=False)", [32, 8, 64], {}, ["infer", "train"]),
    # torch 1.13's fast path raises a TypeError on a missing in_proj bias: inference is recorded as the error
    ("mha_nobias_bf_b8", "nn.MultiheadAttention(64, 4, bias=False, batch_first=True)", [8, 32, 64], {}, ["infer", "train"]),
    # odd heads: the slow path in inference too
    ("mha_odd_heads_bf_b8", "nn.MultiheadAttention(48, 3, batch_first=True)", [8, 32, 48], {}, ["infer", "train"]),
    # one head of one sample: the head transposes are contiguous, no copies
    ("mha_one_head_seq_b1", "nn.MultiheadAttention(32, 1)", [16, 1, 32], {}, ["infer", "train"]),
    # a float causal mask (a buffer made before the step): nothing of its own inside the call, but
    # no fast path in inference
    ("mha_causal_bf_b8", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 32, 64], {"attn_mask": "causal"}, ["infer", "train"]),
    # a real loss: cross-entropy over the last axis, F.cross_entropy(out.reshape(-1, E), y), the
    # targets made before the step (a batch-first output is a transposed view: the reshape copies it)
    ("mha_ce_bf_b8", "nn.MultiheadAttention(64, 4, batch_first=True)", [8, 32, 64], {"loss": "cross_entropy"}, ["train"]),
    ("mha_ce_dropout_bf_b1", "nn.MultiheadAttention(64, 4, dropout=0.1, batch_first=True)", [1, 16, 64], {"loss": "cross_entropy"}, ["train"]),
    ("mha_ce_wide_bf_b8", "nn.MultiheadAttention(256, 8, batch_first=True)", [8, 16, 256], {"loss": "cross_entropy"}, ["train"]),
    # a Linear(E, 2048) after the call: the slow path's batch-first output is a transposed view,
    # which the linear copies before its product (and saves in training); the fast path's is not
    ("mha_linear_odd_heads_bf_b8", "nn.MultiheadAttention(192, 3, batch_first=True)", [8, 8, 192], {"linear": 2048}, ["infer", "train"]),
    ("mha_linear_bf_b8", "nn.MultiheadAttention(256, 8, batch_first=True)", [8, 8, 256], {"linear": 2048}, ["infer", "train"]),
    ("mha_linear_seq_b8", "nn.MultiheadAttention(256, 8)", [8, 8, 256], {"linear": 2048}, ["infer", "train"]),
]

# the wrapper the attention cases run (test/unit/analysis/pytorchProfile.test.ts writes the same
# class for memlens, without the mask its frontend does not follow): the output kept, the weights
# dropped at once
ATTENTION_WRAPPER = """
class Attend(nn.Module):
    def __init__(self, attn, length, need_weights=True, causal=False, linear=None):
        super().__init__()
        self.attn = attn
        self.need_weights = need_weights
        self.register_buffer("mask", torch.triu(torch.full((length, length), float("-inf")), 1) if causal else None)
        self.proj = nn.Linear(attn.embed_dim, linear) if linear else None

    def forward(self, x):
        y = self.attn(x, x, x, need_weights=self.need_weights, attn_mask=self.mask)[0]
        return self.proj(y) if self.proj is not None else y
"""


def attention_model(layer, shape, call):
    scope = {"nn": nn, "torch": torch}
    exec(ATTENTION_WRAPPER, scope)
    attn = eval(layer, scope)
    length = shape[1] if attn.batch_first else shape[0]
    return scope["Attend"](attn, length, call.get("need_weights", True), call.get("attn_mask") == "causal", call.get("linear"))


def peak_of(model, x, mode, loss="sum", args=()):
    # cross-entropy over the last axis (classes = features), targets made before the step
    target = torch.randint(0, x.shape[-1], (x.numel() // x.shape[-1],)) if loss == "cross_entropy" else None

    def step():
        if mode == "train":
            # held in a variable through the backward, as the user's `out = model(x)` is
            out = model(x, *args)
            out = out[0] if isinstance(out, tuple) else out
            (out.sum() if target is None else F.cross_entropy(out.reshape(-1, out.shape[-1]), target)).backward()
            del out
        else:
            with torch.no_grad():
                model(x, *args)

    return warm_peak(model, step, mode == "train")


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cases = {}
    for case_id, layers, shape, modes in CASES + ACTIVATION_CASES:
        model = eval(f"nn.Sequential({layers})", {"nn": NN})
        x = torch.randn(*shape)
        peaks, errors = {}, {}
        for mode in modes:
            try:
                peaks[mode] = peak_of(model, x, mode)
            except ValueError as e:
                errors[mode] = f"{type(e).__name__}: {e}"
        cases[case_id] = {"layers": layers, "input": shape, "peak": peaks, **({"torchError": errors} if errors else {})}
    for case_id, layer, shape, modes in RNN_CASES:
        model = eval(layer, {"nn": nn})
        x = torch.randn(*shape)
        batch = shape[0] if model.batch_first else shape[1]
        cases[case_id] = {"layer": layer, "input": shape, "batch": batch, "peak": {mode: peak_of(model, x, mode) for mode in modes}}
    for case_id, layer, shape, call, modes in ATTENTION_CASES:
        model = attention_model(layer, shape, call)
        x = torch.randn(*shape)
        peaks, errors = {}, {}
        for mode in modes:
            try:
                peaks[mode] = peak_of(model, x, mode, call.get("loss", "sum"))
            except (TypeError, RuntimeError) as e:
                errors[mode] = f"{type(e).__name__}: {e}"
        flags = {"batchFirst": model.attn.batch_first, "needWeights": model.need_weights, "causalMask": model.mask is not None, "loss": call.get("loss", "sum"), **({"linear": call["linear"]} if "linear" in call else {})}
        cases[case_id] = {"attention": layer, **flags, "input": shape, "peak": peaks, **({"torchError": errors} if errors else {})}
    for case_id, source, build, shape, modes, *dtype in MODEL_CASES:
        scope = {"nn": nn, "torch": torch}
        exec(source, scope)
        model = eval(build, scope)
        x = torch.randn(*shape, dtype=getattr(torch, dtype[0]) if dtype else None)
        cases[case_id] = {"module": source, "build": build, "input": shape, **({"dtype": dtype[0]} if dtype else {}), "peak": {mode: peak_of(model, x, mode) for mode in modes}}
    for case_id, source, build, shape, dtype, state, modes in STATE_CASES:
        scope = {"nn": nn, "torch": torch}
        exec(source, scope)
        model = eval(build, scope)
        x = torch.randint(0, 50, shape) if dtype == "long" else torch.randn(*shape)
        given = eval(state, {"torch": torch, "nn": nn, "model": model})
        given = given if isinstance(given, tuple) else (given,)
        cases[case_id] = {"module": source, "build": build, "input": shape, "inputDtype": dtype, "state": state, "batch": given[0].shape[1] if given[0].dim() == 3 else shape[0], "peak": {mode: peak_of(model, x, mode, args=(given if len(given) == 1 else (given,))) for mode in modes}}
    doc = {
        "meta": {
            "torch": torch.__version__, "date": datetime.date.today().isoformat(), "threads": 1,
            "cpuVectorBits": cpu_vector_bits(), "generator": "scripts/torch_op_oracle.py",
            "peak": "max running sum of CPU allocator bytes during one step after a warm-up; train: out = model(x), out.sum().backward()",
        },
        "cases": cases,
        "layers": layer_figures(),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
