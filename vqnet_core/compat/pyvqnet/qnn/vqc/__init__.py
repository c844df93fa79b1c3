"""pyvqnet's ``qnn.vqc``: ``QMachine``, the gate functions and gate modules, ``MeasureAll`` and
``Probability``, recorded onto VQNet's circuit IR and run on its ``statevector`` machine (adjoint
gradients). Names of pyvqnet's vqc that are not here raise an ImportError that says so.

>>> from vqnet_core.compat.pyvqnet.tensor import QTensor
>>> from vqnet_core.compat.pyvqnet.qnn.vqc import MeasureAll, QMachine, cnot, ry
>>> qm = QMachine(2)
>>> qm.reset_states(2)
>>> x = QTensor([[0.0], [3.14159265]], requires_grad=True)
>>> ry(qm, 0, params=x)
>>> cnot(qm, [0, 1])
>>> [round(v, 4) for v in MeasureAll(obs={"Z1": 1.0})(q_machine=qm).reshape(-1).tolist()]
[1.0, -1.0]
"""

from __future__ import annotations

from . import gates as _gates
from .gates import *  # noqa: F401,F403
from .gates import apply_gate  # noqa: F401
from .measure import MeasureAll, Probability  # noqa: F401
from .qmachine import QMachine, QModule, find_qmachine  # noqa: F401

__all__ = ["QMachine", "QModule", "MeasureAll", "Probability", "find_qmachine", "apply_gate",
           *_gates.__all__]


def __getattr__(name: str):
    msg = (f"vqnet_core.compat.pyvqnet.qnn.vqc.{name}: not in VQNet's pyvqnet compatibility "
           "layer (it has QMachine, the gate functions and modules, MeasureAll and "
           "Probability); or write the circuit for vqnet_core.qnn.QuantumLayer(circuit_fn(q, "
           "x, w), num_qubits, weight_shape), whose recorder q has the gates (q.rx, q.cnot, "
           "...) and measurements")
    # pyvqnet's classes and vqc_* functions get the explanation as an ImportError; other
    # lookups (tools probing for setup_module, pytest_plugins...) an AttributeError
    if name[:1].isupper() or name.startswith(("vqc_", "VQC_")):
        raise ImportError(msg)
    raise AttributeError(msg)
