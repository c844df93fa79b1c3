"""pyvqnet's ``nn.conv``."""

from ._layers import Conv1D, Conv2D, ConvT2D  # noqa: F401
