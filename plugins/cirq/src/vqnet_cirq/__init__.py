"""VQNet on Cirq: ``cirq.Circuit`` <-> the IR (:mod:`vqnet_cirq.translate`, registered through
the ``vqnet_circuit_converters`` hook), Cirq's simulators and qsim as machines
(``cirq.simulator``, ``cirq.density_matrix``, ``cirq.qsim``), the paper-style
:class:`CirqLayer`, the converted-circuit :class:`CirqQuantumLayer`, and :class:`Simulator`
(any VQNet machine behind Cirq's simulator interfaces).

>>> from vqnet_core.quantum import available_machines
>>> "cirq.simulator" in available_machines()
True
"""

from .layers import CirqLayer, CirqQuantumLayer  # noqa: F401
from .simulator import Simulator  # noqa: F401

__version__ = "0.1.0"
__all__ = ["CirqLayer", "CirqQuantumLayer", "Simulator"]
