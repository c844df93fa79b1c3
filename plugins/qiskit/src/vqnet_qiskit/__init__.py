"""VQNet on Qiskit: circuits both ways, Aer and quantum_info as VQNet machines, the paper's
``QiskitLayer``, and VQNet's machines as Qiskit V2 primitives.

Machines (``get_machine("qiskit.aer")`` ...) are registered in the ``vqnet.machines`` entry-point
group and the ``QuantumCircuit`` converter through the ``vqnet_circuit_converters`` hook, so
``vqnet_core.quantum.convert_circuit(qc)`` turns a Qiskit circuit into the IR.

>>> from vqnet_core.quantum import available_machines
>>> "qiskit.aer" in available_machines()
True
"""

from .translate import (  # noqa: F401
    from_qasm3,
    from_qiskit,
    from_sparse_pauli_op,
    to_aer_noise_model,
    to_qasm3,
    to_qiskit,
    to_sparse_pauli_op,
)

__version__ = "0.1.0"
__all__ = ["from_qasm3", "from_qiskit", "from_sparse_pauli_op", "to_aer_noise_model",
           "to_qasm3", "to_qiskit", "to_sparse_pauli_op"]


def __getattr__(name):  # the layers import vqnet_core.qnn: only when asked for
    if name in ("QiskitLayer", "QiskitCircuitLayer"):
        from . import layers
        return getattr(layers, name)
    raise AttributeError(f"module 'vqnet_qiskit' has no attribute {name!r}")
