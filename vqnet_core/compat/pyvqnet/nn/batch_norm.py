"""pyvqnet's ``nn.batch_norm`` (with pyvqnet's state_dict names)."""

from ._layers import BatchNorm1D, BatchNorm1d, BatchNorm2D, BatchNorm2d  # noqa: F401
