"""The plugin's pluggy answers: the ``cirq.Circuit`` converter and the conformance xfails.

The xfails are listed, with the same reasons, in ``plugins/cirq/xfails/<machine>.toml``.
"""

from __future__ import annotations

from typing import Any

from vqnet_core.hooks import distribution_versions, hookimpl

#: machine name -> {test id: reason}
XFAILS: dict[str, dict[str, str]] = {}


def _convert(obj: Any, **options: Any):
    from .translate import from_cirq
    return from_cirq(obj, **options)


@hookimpl
def vqnet_circuit_converters() -> dict[str, Any]:
    """``cirq.Circuit`` and ``cirq.FrozenCircuit`` -> the IR (:func:`~.translate.from_cirq`)."""
    return {"cirq.circuits.circuit.Circuit": _convert,
            "cirq.circuits.frozen_circuit.FrozenCircuit": _convert}


@hookimpl
def vqnet_conformance_xfails(kind: str, name: str) -> dict[str, str] | None:
    """Expected conformance failures of the ``cirq.*`` machines (real Cirq / qsim limits)."""
    if kind != "machine":
        return None
    return dict(XFAILS.get(name, {})) or None


@hookimpl
def vqnet_info() -> dict[str, Any] | None:
    return distribution_versions("cirq-core", "qsimcirq")
