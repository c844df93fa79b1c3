"""The three ``qpu.*`` machines declared as static entry points, so that the noxfile's
``plugin`` session runs the conformance suite on them in CI (5-qubit IBM Falcon with CX, the
133-qubit Heron with CZ, the example grid chip); every other device is reached through the
``qpu.*`` family and checked by ``nox -s qpu_all``. They are the same classes the family
returns."""

from __future__ import annotations

from .machines import device_machine_class

IbmManila = device_machine_class("qpu.ibm_manila")
IbmTorino = device_machine_class("qpu.ibm_torino")
Grid3x3 = device_machine_class("qpu.example.grid3x3")
