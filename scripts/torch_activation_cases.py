"""torch.nn's activations for scripts/torch_op_oracle.py: each after a Linear (a batch of 64) and
some after a Conv2d (a batch of 4), out of place and in place, in inference and training. A small
head follows each, so that the activation's output gets a real gradient: the summed model output's
gradient is an expanded scalar, which holds no memory."""

LINEAR = "nn.Linear(16, 256), {}, nn.Linear({}, 2)"
CONV = "nn.Conv2d(3, 16, 3, padding=1), {}, nn.Flatten(), nn.Linear({}, 2)"
BOTH = ["infer", "train"]

# (id, activation)
LINEAR_ACTIVATIONS = [
    ("hardtanh", "nn.Hardtanh(-2.0, 2.0)"),
    ("hardtanh_inplace", "nn.Hardtanh(inplace=True)"),
    ("selu", "nn.SELU()"),
    ("selu_inplace", "nn.SELU(inplace=True)"),
    ("celu", "nn.CELU(alpha=0.5)"),
    ("celu_inplace", "nn.CELU(inplace=True)"),
    ("mish", "nn.Mish()"),
    ("mish_inplace", "nn.Mish(inplace=True)"),
    ("softplus", "nn.Softplus(beta=2)"),
    ("softsign", "nn.Softsign()"),
    ("tanhshrink", "nn.Tanhshrink()"),
    ("logsigmoid", "nn.LogSigmoid()"),
    ("hardshrink", "nn.Hardshrink(0.3)"),
    ("softshrink", "nn.Softshrink()"),
    ("threshold", "nn.Threshold(0.1, 20.0)"),
    ("threshold_inplace", "nn.Threshold(0.1, 20.0, inplace=True)"),
    ("rrelu", "nn.RReLU()"),
    ("rrelu_inplace", "nn.RReLU(inplace=True)"),
    ("glu", "nn.GLU()"),
    ("logsoftmax", "nn.LogSoftmax(dim=1)"),
    ("softmin", "nn.Softmin(dim=1)"),
    ("elu", "nn.ELU()"),
    ("elu_inplace", "nn.ELU(inplace=True)"),
    ("leaky_relu", "nn.LeakyReLU(0.2)"),
    ("leaky_relu_inplace", "nn.LeakyReLU(0.2, inplace=True)"),
]

CONV_ACTIVATIONS = [
    ("hardtanh_inplace", "nn.Hardtanh(0.0, 6.0, inplace=True)"),
    ("selu", "nn.SELU(inplace=True)"),
    ("mish", "nn.Mish()"),
    ("softsign", "nn.Softsign()"),
    ("tanhshrink", "nn.Tanhshrink()"),
    ("logsigmoid", "nn.LogSigmoid()"),
    ("rrelu", "nn.RReLU()"),
    ("glu", "nn.GLU(dim=1)"),
    ("softmax2d", "nn.Softmax2d()"),
    ("softmin", "nn.Softmin(dim=1)"),
    ("logsoftmax", "nn.LogSoftmax(dim=1)"),
]

ACTIVATION_CASES = (
    [(f"act_{name}", LINEAR.format(act, 128 if "GLU" in act else 256), [64, 16], BOTH) for name, act in LINEAR_ACTIVATIONS]
    + [(f"act_{name}_conv", CONV.format(act, 2048 if "GLU" in act else 4096), [4, 3, 16, 16], BOTH) for name, act in CONV_ACTIVATIONS]
)
