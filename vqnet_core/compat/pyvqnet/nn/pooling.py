"""pyvqnet's ``nn.pooling``."""

from vqnet_core.nn.pooling import *  # noqa: F401,F403
