# Helpers shared by the model builders.


def _make_divisible(v, divisor, min_value=None):
    # rounds a channel count to a multiple of `divisor`, never more than 10% below `v`
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _legacy(weights, pretrained, default):
    # the old `pretrained=True` flag means the default weights; memlens only needs to know
    # whether weights are requested (they change nothing it counts but a few builder defaults)
    if weights is None and pretrained:
        return default
    return weights


class _Weights:
    """Stand-in for a torchvision weights enum (ResNet50_Weights.DEFAULT): its members are their
    own names; any of them builds the same model as weights=None would, bar the few builder
    defaults that weights change (GoogLeNet's and Inception's auxiliary heads)."""

    DEFAULT = "DEFAULT"
    IMAGENET1K_V1 = "IMAGENET1K_V1"
