"""pyvqnet's ``qnn.vqc`` (its own statevector simulator, ``QMachine`` and gate functions) is
not reproduced: VQNet's equivalent is the recorder circuit of ``vqnet_core.qnn.QuantumLayer``
(``q.rx(0, x)``, ``q.cnot(0, 1)``, ``q.expval({"Z0": 1.0})``). Importing a name from here
raises an ImportError that says so."""

from __future__ import annotations


def __getattr__(name: str):
    if name.startswith(("_", "pytest")):  # probes by tools (pytest's pytest_plugins, doctest)
        raise AttributeError(name)
    raise ImportError(
        f"vqnet_core.compat.pyvqnet.qnn.vqc.{name}: pyvqnet's vqc module (QMachine, vqc_* gate "
        "functions) has no compatibility layer; write the circuit for "
        "vqnet_core.qnn.QuantumLayer(circuit_fn(q, x, w), num_qubits, weight_shape), whose "
        "recorder q has the gates (q.rx, q.cnot, ...) and measurements (q.expval, q.probs)")
