"""pyvqnet's ``pyvqnet.nn``: the core's layers, pyvqnet's ``Module`` / ``Parameter``, and
pyvqnet's losses called ``loss(target, output)``.

>>> from vqnet_core.compat.pyvqnet.nn import Linear, Module
>>> Linear(input_channels=3, output_channels=2).weights.shape
(2, 3)
"""

from vqnet_core.nn import *  # noqa: F401,F403
from vqnet_core.nn import functional, init  # noqa: F401

from . import activation, batch_norm, conv, dropout, linear, loss, module, parameter, pooling  # noqa: F401
from ._layers import (  # noqa: F401
    BatchNorm1D,
    BatchNorm1d,
    BatchNorm2D,
    BatchNorm2d,
    Conv1D,
    Conv2D,
    ConvT2D,
    Embedding,
    GroupNorm,
    LayerNorm,
    Linear,
)
from .loss import (  # noqa: F401
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    CrossEntropyLoss,
    Loss,
    MeanSquaredError,
    MSELoss,
    NLL_Loss,
    SoftmaxCrossEntropy,
    fidelityLoss,
)
from .module import Module, Parameter  # noqa: F401
