"""Discovery of quantum machines in the entry-point group ``vqnet.machines``.

Names are dotted (``"statevector"``, ``"qpanda.cpu"``); listing reads metadata only, and
:func:`get_machine` imports just the machine asked for (stevedore).

>>> from vqnet_core.quantum import available_machines, get_machine
>>> "statevector" in available_machines()
True
>>> get_machine("statevector").name
'statevector'
"""

from __future__ import annotations

from typing import Any

from ..backend.registry import (
    BackendImportError,
    install_hint,
    list_entry_points,
    load_entry_point,
)
from .machine import Machine

GROUP = "vqnet.machines"

_local: dict[str, type[Machine]] = {}


class UnknownMachineError(ValueError):
    """No machine of that name is installed."""


def available_machines() -> list[str]:
    """Names of the installed machines (nothing imported)."""
    return sorted(set(list_entry_points(GROUP)) | set(_local))


def register_machine(cls: type[Machine], name: str | None = None) -> None:
    """Register a machine class in-process (tests, experiments)."""
    _local[name or cls.name] = cls


def get_machine_class(name: str) -> type[Machine]:
    """The machine class registered as ``name``."""
    if name in _local:
        return _local[name]
    if name not in list_entry_points(GROUP):
        installed = available_machines()
        fam = name.split(".")[0]
        hint = install_hint(fam)
        raise UnknownMachineError(f"unknown quantum machine {name!r}; installed: "
                                  f"{', '.join(installed) or 'none'}{hint}")
    try:
        cls = load_entry_point(GROUP, name, "quantum machine")
    except BackendImportError:
        raise
    if not (isinstance(cls, type) and issubclass(cls, Machine)):
        raise TypeError(f"entry point {name!r} in {GROUP} is not a Machine subclass: {cls!r}")
    _local[name] = cls
    return cls


def get_machine(name: str | Machine, **options: Any) -> Machine:
    """A machine instance: ``get_machine("density_matrix", noise_model=nm)``; a Machine
    instance is returned as is."""
    if isinstance(name, Machine):
        if options:
            raise TypeError("options cannot be given with a Machine instance")
        return name
    if not isinstance(name, str):
        raise TypeError(f"a machine is selected by name (str), got {type(name).__name__}")
    return get_machine_class(name)(**options)
