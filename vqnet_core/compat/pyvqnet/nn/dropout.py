"""pyvqnet's ``nn.dropout``."""

from vqnet_core.nn.dropout import Dropout  # noqa: F401
