# Vision Transformer (Dosovitskiy et al. 2020): the image cut into PxP patches by a stride-P
# conv, a learnable class token prepended, learnable position embeddings added, a stack of
# pre-norm encoder blocks (multi-head self-attention, then a GELU MLP, each residual), a final
# LayerNorm, and a linear head on the class token.
from collections import OrderedDict
import torch
from torch import nn
from ..ops.misc import Conv2dNormActivation, MLP
from ._utils import _Weights


def _layer_norm_eps6(num_features):
    return nn.LayerNorm(num_features, eps=1e-6)


def MLPBlock(in_dim, mlp_dim, dropout):
    # memlens note: a subclass of MLP (an nn.Sequential) in torchvision; the same children here
    return MLP(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None, dropout=dropout)


class ConvStemConfig:
    def __init__(self, out_channels, kernel_size, stride, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU):
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.norm_layer = norm_layer
        self.activation_layer = activation_layer


class EncoderBlock(nn.Module):
    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer=_layer_norm_eps6):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x)
        x = x + input
        y = self.ln_2(x)
        y = self.mlp(y)
        return x + y


class Encoder(nn.Module):
    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                 norm_layer=_layer_norm_eps6):
        super().__init__()
        # one learnable embedding per position (the values are not modelled)
        self.pos_embedding = nn.Parameter(torch.zeros(1, seq_length, hidden_dim))
        self.dropout = nn.Dropout(dropout)
        layers = OrderedDict()
        for i in range(num_layers):
            layers["encoder_layer_" + str(i)] = EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                            attention_dropout, norm_layer)
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, dropout=0.0,
                 attention_dropout=0.0, num_classes=1000, representation_size=None, norm_layer=_layer_norm_eps6,
                 conv_stem_configs=None):
        super().__init__()
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:
            # a small conv stem (Xiao et al. 2021) instead of the single patchify conv
            seq_proj = nn.Sequential()
            prev_channels = 3
            for i, cfg in enumerate(conv_stem_configs):
                seq_proj.add_module("conv_bn_relu_" + str(i), Conv2dNormActivation(
                    prev_channels, cfg.out_channels, kernel_size=cfg.kernel_size, stride=cfg.stride,
                    norm_layer=cfg.norm_layer, activation_layer=cfg.activation_layer))
                prev_channels = cfg.out_channels
            seq_proj.add_module("conv_last", nn.Conv2d(prev_channels, hidden_dim, kernel_size=1))
            self.conv_proj = seq_proj
        else:
            self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)

        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(torch.zeros(1, 1, hidden_dim))
        seq_length += 1
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                               norm_layer)
        self.seq_length = seq_length

        heads_layers = OrderedDict()
        if representation_size is None:
            heads_layers["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads_layers["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads_layers["act"] = nn.Tanh()
            heads_layers["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads_layers)

    def _process_input(self, x):
        n, c, h, w = x.shape
        p = self.patch_size
        n_h = h // p
        n_w = w // p
        x = self.conv_proj(x)
        # [N, hidden, n_h, n_w] -> [N, n_h * n_w, hidden]: one token per patch
        x = x.reshape(n, self.hidden_dim, n_h * n_w)
        x = x.permute(0, 2, 1)
        return x

    def forward(self, x):
        x = self._process_input(x)
        n = x.shape[0]
        batch_class_token = self.class_token.expand(n, -1, -1)
        x = torch.cat([batch_class_token, x], dim=1)
        x = self.encoder(x)
        # the class token's output
        x = x[:, 0]
        x = self.heads(x)
        return x


def _vision_transformer(patch_size, num_layers, num_heads, hidden_dim, mlp_dim, kwargs):
    image_size = kwargs.pop("image_size", 224)
    return VisionTransformer(image_size=image_size, patch_size=patch_size, num_layers=num_layers,
                             num_heads=num_heads, hidden_dim=hidden_dim, mlp_dim=mlp_dim, **kwargs)


class ViT_B_16_Weights(_Weights):
    IMAGENET1K_SWAG_E2E_V1 = "IMAGENET1K_SWAG_E2E_V1"
    IMAGENET1K_SWAG_LINEAR_V1 = "IMAGENET1K_SWAG_LINEAR_V1"


class ViT_B_32_Weights(_Weights):
    pass


class ViT_L_16_Weights(_Weights):
    IMAGENET1K_SWAG_E2E_V1 = "IMAGENET1K_SWAG_E2E_V1"
    IMAGENET1K_SWAG_LINEAR_V1 = "IMAGENET1K_SWAG_LINEAR_V1"


class ViT_L_32_Weights(_Weights):
    pass


class ViT_H_14_Weights(_Weights):
    IMAGENET1K_SWAG_E2E_V1 = "IMAGENET1K_SWAG_E2E_V1"
    IMAGENET1K_SWAG_LINEAR_V1 = "IMAGENET1K_SWAG_LINEAR_V1"


def vit_b_16(weights=None, progress=True, pretrained=False, **kwargs):
    return _vision_transformer(16, 12, 12, 768, 3072, kwargs)


def vit_b_32(weights=None, progress=True, pretrained=False, **kwargs):
    return _vision_transformer(32, 12, 12, 768, 3072, kwargs)


def vit_l_16(weights=None, progress=True, pretrained=False, **kwargs):
    return _vision_transformer(16, 24, 16, 1024, 4096, kwargs)


def vit_l_32(weights=None, progress=True, pretrained=False, **kwargs):
    return _vision_transformer(32, 24, 16, 1024, 4096, kwargs)


def vit_h_14(weights=None, progress=True, pretrained=False, **kwargs):
    return _vision_transformer(14, 32, 16, 1280, 5120, kwargs)
