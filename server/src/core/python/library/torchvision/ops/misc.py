# Building blocks shared by the torchvision models: conv + norm + activation stacks,
# squeeze-and-excitation, the transformer MLP and an axis permutation.
#
# memlens note: torchvision derives ConvNormActivation and MLP from nn.Sequential. Subclassing
# nn.Sequential is not followed by memlens's interpreter yet, so here they are functions that
# return an nn.Sequential with the same children ("0", "1", ...) and the same arguments.
import torch
from torch import nn


def _conv_norm_act(conv_layer, dims, in_channels, out_channels, kernel_size, stride, padding, groups,
                   norm_layer, activation_layer, dilation, inplace, bias):
    if padding is None:
        # "same"-style padding for odd kernels, per axis when sizes are tuples
        if isinstance(kernel_size, int) and isinstance(dilation, int):
            padding = (kernel_size - 1) // 2 * dilation
        else:
            ks = kernel_size if isinstance(kernel_size, (list, tuple)) else [kernel_size] * dims
            dl = dilation if isinstance(dilation, (list, tuple)) else [dilation] * dims
            padding = tuple([(ks[i] - 1) // 2 * dl[i] for i in range(dims)])
    if bias is None:
        # a norm right after the conv makes the conv's bias redundant
        bias = norm_layer is None
    layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding,
                         dilation=dilation, groups=groups, bias=bias)]
    # (plain truth tests: a layer memlens does not model then stops here with its own reason)
    if norm_layer:
        layers.append(norm_layer(out_channels))
    if activation_layer:
        if inplace is None:
            layers.append(activation_layer())
        else:
            layers.append(activation_layer(inplace=inplace))
    return _tag(nn.Sequential(*layers), out_channels)


def _tag(seq, out_channels):
    seq.out_channels = out_channels
    return seq


def Conv2dNormActivation(in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                         norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True,
                         bias=None):
    return _conv_norm_act(nn.Conv2d, 2, in_channels, out_channels, kernel_size, stride, padding, groups,
                          norm_layer, activation_layer, dilation, inplace, bias)


def Conv3dNormActivation(in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                         norm_layer=nn.BatchNorm3d, activation_layer=nn.ReLU, dilation=1, inplace=True,
                         bias=None):
    return _conv_norm_act(nn.Conv3d, 3, in_channels, out_channels, kernel_size, stride, padding, groups,
                          norm_layer, activation_layer, dilation, inplace, bias)


def ConvNormActivation(in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                       norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True,
                       bias=None, conv_layer=nn.Conv2d):
    return _conv_norm_act(conv_layer, 2, in_channels, out_channels, kernel_size, stride, padding, groups,
                          norm_layer, activation_layer, dilation, inplace, bias)


class SqueezeExcitation(nn.Module):
    """Channel attention (Hu et al. 2018): global pool, bottleneck of two 1x1 convs, a gate that
    rescales the input channels."""

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, x):
        s = self.avgpool(x)
        s = self.fc1(s)
        s = self.activation(s)
        s = self.fc2(s)
        return self.scale_activation(s)

    def forward(self, x):
        return self._scale(x) * x


def MLP(in_channels, hidden_channels, norm_layer=None, activation_layer=nn.ReLU, inplace=True, bias=True,
        dropout=0.0):
    """Linear layers of the given widths; every one but the last is followed by an optional norm,
    the activation and dropout; the last by dropout only."""
    # inplace=None: the layers' own defaults (for activations without an inplace argument)
    act_args = {} if inplace is None else {"inplace": inplace}
    drop_args = act_args
    layers = []
    width = in_channels
    for hidden in hidden_channels[:-1]:
        layers.append(nn.Linear(width, hidden, bias=bias))
        if norm_layer is not None:
            layers.append(norm_layer(hidden))
        layers.append(activation_layer(**act_args))
        layers.append(nn.Dropout(dropout, **drop_args))
        width = hidden
    layers.append(nn.Linear(width, hidden_channels[-1], bias=bias))
    layers.append(nn.Dropout(dropout, **drop_args))
    return nn.Sequential(*layers)


class Permute(nn.Module):
    """Reorders the axes of its input (torch.permute as a module)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return torch.permute(x, self.dims)
