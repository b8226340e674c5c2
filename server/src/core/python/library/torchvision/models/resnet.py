# ResNet (He et al. 2015), ResNeXt (Xie et al. 2016) and Wide ResNet (Zagoruyko & Komodakis 2016),
# in torchvision's layout: a 7x7 stem, four stages of residual blocks (the stride-2 sits in the
# 3x3 conv of a bottleneck, "ResNet v1.5"), global average pooling and one linear classifier.
import torch
from torch import nn
from ._utils import _legacy, _Weights


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    # two 3x3 convs; the output has `planes` channels
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class Bottleneck(nn.Module):
    # 1x1 reduce, grouped 3x3 (carrying the stride), 1x1 expand to 4 * planes
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu(out)
        out = self.conv3(out)
        out = self.bn3(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            # keep the resolution: the stride becomes dilation of the following convs
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            # the shortcut needs a projection when the shape changes
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        stage = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                       norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            stage.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                               dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*stage)

    def _forward_impl(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return x

    def forward(self, x):
        return self._forward_impl(x)


def _resnet(block, layers, weights, progress, **kwargs):
    # weights are accepted and ignored: memlens counts shapes, not values
    return ResNet(block, layers, **kwargs)


class ResNet18_Weights(_Weights):
    pass


class ResNet34_Weights(_Weights):
    pass


class ResNet50_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class ResNet101_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class ResNet152_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class ResNeXt50_32X4D_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class ResNeXt101_32X8D_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class ResNeXt101_64X4D_Weights(_Weights):
    pass


class Wide_ResNet50_2_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


class Wide_ResNet101_2_Weights(_Weights):
    IMAGENET1K_V2 = "IMAGENET1K_V2"


def resnet18(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(BasicBlock, [2, 2, 2, 2], _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def resnet34(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(BasicBlock, [3, 4, 6, 3], _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def resnet50(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def resnet101(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def resnet152(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 8, 36, 3], _legacy(weights, pretrained, "DEFAULT"), progress, **kwargs)


def resnext50_32x4d(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], _legacy(weights, pretrained, "DEFAULT"), progress,
                   groups=32, width_per_group=4, **kwargs)


def resnext101_32x8d(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], _legacy(weights, pretrained, "DEFAULT"), progress,
                   groups=32, width_per_group=8, **kwargs)


def resnext101_64x4d(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], _legacy(weights, pretrained, "DEFAULT"), progress,
                   groups=64, width_per_group=4, **kwargs)


def wide_resnet50_2(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], _legacy(weights, pretrained, "DEFAULT"), progress,
                   width_per_group=128, **kwargs)


def wide_resnet101_2(weights=None, progress=True, pretrained=False, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], _legacy(weights, pretrained, "DEFAULT"), progress,
                   width_per_group=128, **kwargs)
