"""The plugin's pluggy answers: circuit converters (QuantumScript, QNode) and the expected
conformance failures of the ``pennylane.*`` machines."""

from __future__ import annotations

from vqnet_core.hooks import hookimpl

#: machine name -> {test id: reason}
XFAILS: dict[str, dict[str, str]] = {}


@hookimpl
def vqnet_circuit_converters():
    """``QuantumScript`` (and ``QuantumTape``) and ``QNode`` -> the IR."""
    from .translate import CONVERTERS

    return dict(CONVERTERS)


@hookimpl
def vqnet_conformance_xfails(kind: str, name: str) -> dict[str, str] | None:
    """Expected conformance failures of the ``pennylane.*`` machines."""
    if kind != "machine":
        return None
    return dict(XFAILS.get(name, {})) or None
