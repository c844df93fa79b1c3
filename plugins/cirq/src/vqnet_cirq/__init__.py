"""VQNet on Cirq: ``cirq.Circuit`` <-> the IR, Cirq's simulators and qsim as machines,
the paper-style :class:`CirqLayer`, the converted-circuit :class:`CirqQuantumLayer`, and
:class:`Simulator` (VQNet's machines behind Cirq's simulator interfaces).

>>> from vqnet_core.quantum import available_machines
>>> "cirq.simulator" in available_machines()
True
"""

__version__ = "0.1.0"
