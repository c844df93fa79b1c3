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


_ONE_QUBIT = ("ibm_armonk is a one-qubit device: the check runs two-wire circuits, which it "
              "refuses (MachineError: at most 1 wires)")
_CAIRO = ("Qiskit's transpiler cannot route this circuit onto FakeCairoV2's target (cx on some "
          "pairs, ecr on others, one direction each): 'cx would be supported on [15, 18] if the "
          "direction was swapped, but no rules are known to do that' -- the same target "
          "qiskit_ibm_runtime builds; VQNet raises it as UnsupportedError")
#: device-specific expected failures: {machine: {test id: reason}}
DEVICE_XFAILS = {
    "qpu.ibm_armonk": {t: _ONE_QUBIT for t in (
        "test_basics[RY]", "test_errors", "test_same_seed_same_shots",
        "test_different_seeds_differ")},
    "qpu.ibm_cairo": {t: _CAIRO for t in (
        "test_gate_matches_reference[MultiRZ]", "test_gate_matches_reference[SingleExcitation]",
        "test_random_circuit_batch", "test_sample_distribution", "test_wide_circuit[5]",
        "test_wide_circuit[9]", "test_wide_circuit[13]")},
}


@hookimpl
def vqnet_conformance_xfails(kind: str, name: str) -> dict[str, str] | None:
    """Expected conformance failures of the ``qpu.*`` machines."""
    if kind != "machine" or not (name == "qpu" or name.startswith("qpu.")):
        return None
    return {**XFAILS, **DEVICE_XFAILS.get(name, {})}


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
