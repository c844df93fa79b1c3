"""The ``qpu.*`` machine family (entry point ``qpu.*`` in ``vqnet.machines``): listing its
names globs the installed packages' data files and imports neither Qiskit nor
qiskit_ibm_runtime; a machine class is made only when asked for.

>>> "qpu.example.grid3x3" in FAMILY.names()
True
"""

from __future__ import annotations

from .devices import EXAMPLES, GOOGLE, device_names, ibm_devices, ibm_num_qubits


class QPUFamily:
    """``names()``, ``describe(name)`` and ``machine_class(name)`` of the emulated QPUs."""

    def names(self) -> list[str]:
        return device_names()

    def describe(self, name: str) -> str:
        rest = name[len("qpu."):]
        if rest.startswith("ibm_") and rest in ibm_devices():
            return f"{ibm_num_qubits(rest)} qubits (IBM fake backend, calibrated noise)"
        if rest.startswith("example."):
            from .devices import load_device
            d = load_device(name)
            return f"{d.num_qubits} qubits (example device file, figures illustrative)"
        if rest.startswith("google."):
            return f"Google virtual processor {rest[len('google.'):]} (cirq_google)"
        return "emulated QPU"

    def machine_class(self, name: str):
        if name != "qpu" and name not in device_names():
            rest = name[len("qpu."):]
            hint = ""
            if rest.startswith("google.") and rest[len("google."):] in GOOGLE:
                hint = "; the Google processors need cirq-google: pip install 'vqnet-qpu[google]'"
            elif rest.startswith("example."):
                hint = f"; shipped examples: {', '.join(EXAMPLES)}"
            raise KeyError(f"no emulated device {rest!r}{hint}; a device file of your own: "
                           "get_machine('qpu', device='chip.toml')")
        from .machines import device_machine_class
        return device_machine_class(name)


FAMILY = QPUFamily()
