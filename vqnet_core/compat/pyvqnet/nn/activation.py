"""pyvqnet's ``nn.activation`` (the paper's ``F.ReLu()``)."""

from vqnet_core.nn.activation import *  # noqa: F401,F403
from vqnet_core.nn.activation import LeakyReLU as LeakyReLu  # noqa: F401
from vqnet_core.nn.activation import ReLU, ReLu  # noqa: F401
