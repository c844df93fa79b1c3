"""``vqnet info`` and the registry with the qpu.* family; the docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

from vqnet_core.cli import collect_info
from vqnet_core.quantum import available_machines, get_machine_class


def test_vqnet_info_lists_the_devices_with_qubit_counts():
    info = collect_info()
    rows = {r["name"]: r for r in info["machines"]}
    assert "qpu.*" not in rows
    assert len([n for n in rows if n == "qpu.ibm_torino"]) == 1
    assert rows["qpu.ibm_torino"]["capabilities"]["extra"]["num_qubits"] == 133  # static
    assert rows["qpu.ibm_kyiv"]["status"].startswith("127 qubits")  # from the family
    assert rows["qpu.ibm_brisbane"]["status"].startswith("127 qubits")
    assert rows["qpu.example.grid3x3"]["capabilities"]["extra"]["device"] == "example.grid3x3"
    devices = info["plugins"]["qpu devices"]
    assert "ibm_torino (133q)" in devices and "ibm_manila (5q)" in devices


def test_family_and_static_entry_points_give_the_same_class():
    names = available_machines()
    assert len([n for n in names if n.startswith("qpu.ibm_")]) >= 50
    assert get_machine_class("qpu.ibm_torino") is get_machine_class("qpu.ibm_torino")
    from vqnet_qpu.machines import device_machine_class
    assert get_machine_class("qpu.ibm_kyiv") is device_machine_class("qpu.ibm_kyiv")
    assert get_machine_class("qpu.ibm_torino") is device_machine_class("qpu.ibm_torino")


@pytest.mark.parametrize("module", ["vqnet_qpu", "vqnet_qpu.devices", "vqnet_qpu.noise",
                                    "vqnet_qpu.compile", "vqnet_qpu.machines",
                                    "vqnet_qpu.mitigation", "vqnet_qpu.family"])
def test_docstring_examples(module):
    mod = importlib.import_module(module)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0
