"""VQNet's emulated noisy QPUs: real topologies, native gates, calibrated noise and routing.

``get_machine("qpu.ibm_torino")`` (one machine per fake backend of the installed
qiskit-ibm-runtime, the Google virtual processors with ``cirq-google``, the shipped example
``qpu.example.grid3x3``) or ``get_machine("qpu", device="my_chip.toml")``. Shots only; the
noise comes from the calibration (:mod:`vqnet_qpu.noise`), the compilation from Qiskit's preset
pass manager (:mod:`vqnet_qpu.compile`), the execution from VQNet's kernels
(:mod:`vqnet_qpu.engine`); mitigation in :mod:`vqnet_qpu.mitigation`.

>>> from vqnet_core.quantum import available_machines
>>> "qpu.example.grid3x3" in available_machines()
True
"""

from .devices import Device, DeviceError, device_names, load_device, parse_device_toml

__version__ = "0.1.0"
__all__ = ["Device", "DeviceError", "QPUMachine", "device_names", "load_device",
           "parse_device_toml", "zne"]


def __getattr__(name):  # the machine and mitigation import Qiskit: only when asked for
    if name == "QPUMachine":
        from .machines import QPUMachine
        return QPUMachine
    if name == "zne":
        from .mitigation import zne
        return zne
    raise AttributeError(f"module 'vqnet_qpu' has no attribute {name!r}")
