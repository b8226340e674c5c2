# torchvision.models: the classification model builders. The submodules are bound first, as
# importing them does in Python; the star imports then bind the builders (googlenet, alexnet
# name functions, as in torchvision).
from . import alexnet, convnext, densenet, efficientnet, googlenet, inception, mnasnet, mobilenet, mobilenetv2
from . import mobilenetv3, resnet, shufflenetv2, squeezenet, vgg, vision_transformer
from .alexnet import *
from .convnext import *
from .densenet import *
from .efficientnet import *
from .googlenet import *
from .inception import *
from .mnasnet import *
from .mobilenetv2 import *
from .mobilenetv3 import *
from .resnet import *
from .shufflenetv2 import *
from .squeezenet import *
from .vgg import *
from .vision_transformer import *
from ._api import get_model, get_model_builder, list_models
