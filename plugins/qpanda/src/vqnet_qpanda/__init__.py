"""VQNet on QPanda: the pyqpanda3 simulators as VQNet machines, and the paper's layers.

Machines (``get_machine("qpanda.cpu")`` ...) are registered in the ``vqnet.machines`` entry-point
group; :class:`QPandaLayer` and :class:`QPandaNoiseLayer` run native pyqpanda3 programs.

>>> from vqnet_core.quantum import available_machines
>>> "qpanda.cpu" in available_machines()
True
"""

from .layers import QPandaLayer, QPandaNoiseLayer  # noqa: F401

__version__ = "0.1.0"
__all__ = ["QPandaLayer", "QPandaNoiseLayer"]
