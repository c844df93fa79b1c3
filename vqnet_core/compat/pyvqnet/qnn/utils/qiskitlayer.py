"""pyvqnet's ``qnn.utils.qiskitlayer``."""

from .compatible_layer import QiskitLayer, QiskitLayerV2  # noqa: F401
