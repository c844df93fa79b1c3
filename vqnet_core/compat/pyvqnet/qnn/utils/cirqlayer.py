"""pyvqnet's ``qnn.utils.cirqlayer``."""

from .compatible_layer import CirqLayer  # noqa: F401
