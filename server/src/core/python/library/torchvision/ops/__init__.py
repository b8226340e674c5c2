# torchvision.ops: the layers the classification models are built from
from .misc import Conv2dNormActivation, Conv3dNormActivation, ConvNormActivation, SqueezeExcitation, MLP, Permute
from .stochastic_depth import StochasticDepth, stochastic_depth
