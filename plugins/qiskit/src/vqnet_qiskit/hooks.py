"""The plugin's pluggy answers: the ``QuantumCircuit`` converter and the expected conformance
failures of the ``qiskit.*`` machines (real Qiskit limitations, listed with the same reasons in
``plugins/qiskit/xfails/<machine>.toml``)."""

from __future__ import annotations

from typing import Any

from vqnet_core.hooks import distribution_versions, hookimpl

#: machine name -> {test id: reason}
XFAILS: dict[str, dict[str, str]] = {}


def _convert(obj: Any, **options: Any) -> Any:
    from .translate import from_qiskit
    return from_qiskit(obj, **options)


@hookimpl
def vqnet_circuit_converters() -> dict[str, Any]:
    """``QuantumCircuit`` -> IR (imports Qiskit only when a circuit is converted)."""
    return {"qiskit.circuit.quantumcircuit.QuantumCircuit": _convert}


@hookimpl
def vqnet_conformance_xfails(kind: str, name: str) -> dict[str, str] | None:
    """Expected conformance failures of the ``qiskit.*`` machines."""
    if kind != "machine":
        return None
    return dict(XFAILS.get(name, {})) or None


@hookimpl
def vqnet_info() -> dict[str, Any] | None:
    """Versions of Qiskit and Aer."""
    return distribution_versions("qiskit", "qiskit-aer")
