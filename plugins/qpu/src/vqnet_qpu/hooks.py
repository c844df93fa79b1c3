"""The plugin's pluggy answers: ``vqnet info`` lines (library versions, the devices with their
qubit counts) and the expected conformance failures of the ``qpu.*`` machines."""

from __future__ import annotations

from typing import Any

from vqnet_core.hooks import distribution_versions, hookimpl

#: every qpu.* machine: {test id: reason}
XFAILS = {
    "test_noise_depolarizing_closed_form": (
        "the test runs Circuit(1, [I]) with depolarizing(0.2) after every gate; Qiskit's preset "
        "pass manager (optimization level 1, as for hardware) removes the identity gate, so no "
        "gate is left for the noise to follow (with optimization_level=0 it is kept)"),
}


@hookimpl
def vqnet_conformance_xfails(kind: str, name: str) -> dict[str, str] | None:
    """Expected conformance failures of the ``qpu.*`` machines."""
    if kind != "machine" or not (name == "qpu" or name.startswith("qpu.")):
        return None
    return dict(XFAILS)


@hookimpl
def vqnet_info() -> dict[str, Any] | None:
    """Versions of Qiskit and qiskit-ibm-runtime and the emulated devices (qubit counts read
    from the data files, nothing loaded)."""
    from .devices import device_names, ibm_devices, ibm_num_qubits

    out: dict[str, Any] = distribution_versions("qiskit", "qiskit-ibm-runtime", "cirq-google")
    devs = []
    for name in device_names():
        rest = name[len("qpu."):]
        devs.append(f"{rest} ({ibm_num_qubits(rest)}q)" if rest in ibm_devices() else rest)
    out["qpu devices"] = f"{len(devs)}: " + ", ".join(devs)
    return out
