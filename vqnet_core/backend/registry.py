"""Discovery and selection of array backends.

Backends register in the entry-point group ``vqnet.array_backends``. Listing reads entry-point
metadata only; :func:`get_backend` imports just the backend asked for (through stevedore), and a
backend that fails to import is reported with its error rather than breaking ``import vqnet_core``.

>>> import vqnet_core as vq
>>> with vq.backend("numpy"):
...     vq.get_backend().name
'numpy'
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata

from .protocol import ArrayBackend

GROUP = "vqnet.array_backends"


class UnknownBackendError(ValueError):
    """No array backend of that name is installed."""


class BackendImportError(ImportError):
    """A backend is installed but could not be imported."""


@dataclass(frozen=True)
class EntryPointInfo:
    """One registered plugin, read from metadata without importing it."""

    name: str
    value: str
    distribution: str
    version: str


def list_entry_points(group: str) -> dict[str, EntryPointInfo]:
    """Every registration in ``group``, by name, without importing anything."""
    found: dict[str, EntryPointInfo] = {}
    for ep in metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        found[ep.name] = EntryPointInfo(
            ep.name, ep.value, dist.metadata["Name"] if dist else "?", dist.version if dist else "?"
        )
    return found


def load_entry_point(group: str, name: str, what: str):
    """Import and return the object registered as ``name`` in ``group`` (via stevedore)."""
    from stevedore import DriverManager
    from stevedore.exception import NoMatches

    errors: list[BaseException] = []

    def on_failure(_manager, _entrypoint, exc):
        errors.append(exc)

    try:
        mgr = DriverManager(group, name, invoke_on_load=False,
                            on_load_failure_callback=on_failure)
    except NoMatches:
        if errors:
            err = errors[0]
            raise BackendImportError(
                f"{what} {name!r} is installed but failed to import: "
                f"{type(err).__name__}: {err}") from err
        raise
    return mgr.driver


_instances: dict[str, ArrayBackend] = {}
_import_errors: dict[str, str] = {}


def install_hint(extra: str) -> str:
    """How to install the extra ``extra`` of vqnet (``". To install it: ..."``), or ``""`` when
    the installed vqnet declares no such extra: a hint never names what does not exist."""
    try:
        extras = metadata.metadata("vqnet").get_all("Provides-Extra") or []
    except metadata.PackageNotFoundError:
        return ""
    if extra not in extras:
        return ""
    return (f'. To install it: pip install "vqnet[{extra}]", or from a clone of the repository: '
            f"python tools/install.py {extra}")


def _unknown(name: str) -> UnknownBackendError:
    installed = sorted(list_entry_points(GROUP))
    msg = f"unknown array backend {name!r}; installed: {', '.join(installed) or 'none'}"
    return UnknownBackendError(msg + install_hint(name))


def get_backend(name: str | ArrayBackend | None = None) -> ArrayBackend:
    """The backend instance called ``name`` (default: the active one)."""
    if name is None:
        return _active.get() or _default_backend()
    if isinstance(name, ArrayBackend):
        return name
    inst = _instances.get(name)
    if inst is not None:
        return inst
    if name not in list_entry_points(GROUP):
        raise _unknown(name)
    try:
        cls = load_entry_point(GROUP, name, "array backend")
    except BackendImportError as exc:
        _import_errors[name] = str(exc)
        raise
    inst = cls() if isinstance(cls, type) else cls
    if not isinstance(inst, ArrayBackend):
        raise TypeError(f"entry point {name!r} did not give an ArrayBackend (got {inst!r})")
    _instances[name] = inst
    return inst


def register_backend(backend: ArrayBackend) -> None:
    """Register a backend instance in-process (for tests and experiments)."""
    _instances[backend.name] = backend


_active: contextvars.ContextVar[ArrayBackend | None] = contextvars.ContextVar(
    "vqnet_backend", default=None)
_default: list[ArrayBackend] = []


def _default_backend() -> ArrayBackend:
    if not _default:
        _default.append(get_backend(os.environ.get("VQNET_BACKEND", "numpy")))
    return _default[0]


def set_backend(name: str | ArrayBackend) -> ArrayBackend:
    """Make ``name`` the active array backend for this context; returns it."""
    b = get_backend(name)
    _active.set(b)
    return b


@contextlib.contextmanager
def backend(name: str | ArrayBackend) -> Iterator[ArrayBackend]:
    """Context manager: ``with vqnet_core.backend("cpu"): ...``."""
    token = _active.set(get_backend(name))
    try:
        yield _active.get()
    finally:
        _active.reset(token)


def available_backends() -> list[str]:
    """Names of the installed array backends (metadata only, nothing imported)."""
    return sorted(list_entry_points(GROUP))
