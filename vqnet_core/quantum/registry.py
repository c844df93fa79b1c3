"""Discovery of quantum machines in the entry-point group ``vqnet.machines``.

Names are dotted (``"statevector"``, ``"qpanda.cpu"``); listing reads metadata only, and
:func:`get_machine` imports just the machine asked for (stevedore).

**Machine families.** An entry point whose name ends in ``.*`` (``"qpu.*" =
"vqnet_qpu.family:FAMILY"``) registers a family of machines whose names are only known at run
time (one per device of an installed library). Its target offers ``names()`` (every full name,
``"qpu.ibm_torino"``, ..., cheaply: the family's module must not import heavy libraries) and
``machine_class(name)`` (the class of one of them, or of the bare prefix ``"qpu"``; KeyError
when unknown), and optionally ``describe(name)`` (a short line for ``vqnet info``). Listing
imports the family's module; nothing else is loaded until a machine is asked for.

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
FAMILY_SUFFIX = ".*"

_local: dict[str, type[Machine]] = {}
_families: dict[str, Any] = {}


class UnknownMachineError(ValueError):
    """No machine of that name is installed."""


def _static_names() -> list[str]:
    return [n for n in list_entry_points(GROUP) if not n.endswith(FAMILY_SUFFIX)]


def family_prefixes() -> list[str]:
    """The prefixes of the installed machine families (``["qpu"]`` for ``qpu.*``), from
    metadata only."""
    return sorted(n[:-len(FAMILY_SUFFIX)] for n in list_entry_points(GROUP)
                  if n.endswith(FAMILY_SUFFIX))


def machine_family(prefix: str) -> Any:
    """The object registered as ``<prefix>.*`` (imported once)."""
    fam = _families.get(prefix)
    if fam is None:
        fam = load_entry_point(GROUP, prefix + FAMILY_SUFFIX, "machine family")
        if not (callable(getattr(fam, "names", None))
                and callable(getattr(fam, "machine_class", None))):
            raise TypeError(f"entry point {prefix + FAMILY_SUFFIX!r} in {GROUP} must offer "
                            f"names() and machine_class(name), got {fam!r}")
        _families[prefix] = fam
    return fam


def family_names(prefix: str) -> list[str]:
    """The machine names a family lists (empty when it fails to load: a broken plugin never
    breaks listing; asking for one of its machines raises the error)."""
    try:
        return sorted(machine_family(prefix).names())
    except Exception:  # noqa: BLE001 - reported by get_machine and vqnet info
        return []


def available_machines() -> list[str]:
    """Names of the installed machines (entry-point metadata, plus the names each machine
    family lists; no machine is imported)."""
    names = set(_static_names()) | set(_local)
    for prefix in family_prefixes():
        names.update(family_names(prefix))
    return sorted(names)


def register_machine(cls: type[Machine], name: str | None = None) -> None:
    """Register a machine class in-process (tests, experiments)."""
    _local[name or cls.name] = cls


def _family_of(name: str) -> str | None:
    """The longest installed family prefix that owns ``name`` (itself or ``prefix.rest``)."""
    hits = [p for p in family_prefixes() if name == p or name.startswith(p + ".")]
    return max(hits, key=len) if hits else None


def _unknown(name: str, note: str = "") -> UnknownMachineError:
    installed = available_machines()
    fam = name.split(".")[0]
    return UnknownMachineError(f"unknown quantum machine {name!r}{note}; installed: "
                               f"{', '.join(installed) or 'none'}{install_hint(fam)}")


def get_machine_class(name: str) -> type[Machine]:
    """The machine class registered as ``name`` (a static entry point, or a member of a
    machine family)."""
    if name in _local:
        return _local[name]
    if name in _static_names():
        try:
            cls = load_entry_point(GROUP, name, "quantum machine")
        except BackendImportError:
            raise
    else:
        prefix = _family_of(name)
        if prefix is None:
            raise _unknown(name)
        try:
            cls = machine_family(prefix).machine_class(name)
        except KeyError as exc:
            why = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
            raise _unknown(name, f" ({why})" if why else "") from None
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
