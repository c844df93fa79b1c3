"""pyvqnet's ``nn.batch_norm``."""

from vqnet_core.nn.normalization import *  # noqa: F401,F403
from vqnet_core.nn.normalization import BatchNorm1d as BatchNorm1d  # noqa: F401
from vqnet_core.nn.normalization import BatchNorm2d as BatchNorm2d  # noqa: F401
