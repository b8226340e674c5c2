# torchvision.models.mobilenet: both MobileNet generations in one namespace
from .mobilenetv2 import *
from .mobilenetv3 import *
