# torchvision as memlens describes it: the model builders (models/) and the layers they use (ops/)
from . import models
from . import ops

__version__ = "0.14.1"
