"""pyvqnet's ``nn.linear``."""

from ._layers import Linear  # noqa: F401
