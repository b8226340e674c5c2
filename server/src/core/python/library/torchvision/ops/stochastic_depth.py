# Stochastic depth (Huang et al. 2016): in training, a residual branch is dropped at random,
# per sample ("row") or for the whole batch ("batch"), and the kept ones are scaled by 1 / (1 - p).
#
# memlens note: in eval mode, or with p = 0, this is exactly the identity, which memlens follows.
# In training memlens reads the code below as it is: the noise tensor with one row per sample (or one
# value), the in-place bernoulli_ and div_, and the product that keeps the noise for its backward.
import torch
from torch import nn


def stochastic_depth(input, p, mode, training=True):
    if not training or p == 0.0:
        return input
    keep = 1.0 - p
    if mode == "row":
        size = [input.shape[0]] + [1] * (input.dim() - 1)
    else:
        size = [1] * input.dim()
    mask = torch.empty(size, dtype=input.dtype)
    mask = mask.bernoulli_(keep)
    if keep > 0.0:
        mask = mask.div_(keep)
    return input * mask


class StochasticDepth(nn.Module):
    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)
