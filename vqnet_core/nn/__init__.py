"""Neural-network modules: Module, Parameter, containers, layers, losses, functional.

>>> import vqnet_core as vq
>>> from vqnet_core import nn
>>> net = nn.Sequential(nn.Conv2D(1, 4, (3, 3)), nn.ReLu(), nn.MaxPool2D([2, 2], [2, 2]),
...                     nn.Flatten(), nn.Linear(4 * 3 * 3, 2))
>>> net(vq.randn(5, 1, 8, 8)).shape
(5, 2)
"""

from . import functional, init  # noqa: F401
from .activation import *  # noqa: F401,F403
from .activation import __all__ as _act_all
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv_all
from .dropout import Dropout
from .embedding import Embedding
from .linear import Flatten, Identity, Linear
from .loss import *  # noqa: F401,F403
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterList, Sequential
from .normalization import *  # noqa: F401,F403
from .normalization import __all__ as _norm_all
from .pooling import *  # noqa: F401,F403
from .pooling import __all__ as _pool_all
from .rnn import GRU, LSTM, RNN

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "functional", "init", "Linear", "Flatten", "Identity", "Dropout", "Embedding",
           "RNN", "LSTM", "GRU", *_act_all, *_conv_all, *_norm_all, *_pool_all]
