"""Array backends: the protocol, the registry, and the NumPy reference backend.

This package is also callable: ``vqnet_core.backend("cpu")`` is the context manager
:func:`vqnet_core.backend.registry.backend` (``with vq.backend("cpu") as B: ...``), so that the
name ``vqnet_core.backend`` is this module (``import vqnet_core.backend as b; b.ArrayBackend``)
and the context manager at once.
"""

import sys as _sys
import types as _types

from .protocol import (
    ARG_REDUCE_OPS,
    BINARY_OPS,
    COMPARISON_OPS,
    RANDOM_DISTS,
    REDUCE_OPS,
    SCAN_OPS,
    UNARY_OPS,
    ArrayBackend,
    BackendError,
    BackendUnavailableError,
    Capabilities,
    required_primitives,
)
from .registry import (
    BackendImportError,
    UnknownBackendError,
    available_backends,
    backend,
    get_backend,
    list_entry_points,
    register_backend,
    set_backend,
)

__all__ = [
    "ArrayBackend", "Capabilities", "BackendError", "BackendUnavailableError",
    "BackendImportError", "UnknownBackendError",
    "UNARY_OPS", "BINARY_OPS", "COMPARISON_OPS", "REDUCE_OPS", "ARG_REDUCE_OPS", "SCAN_OPS",
    "RANDOM_DISTS", "required_primitives", "available_backends", "backend", "get_backend",
    "list_entry_points", "register_backend", "set_backend",
]


class _CallableModule(_types.ModuleType):
    """The module type of ``vqnet_core.backend``: calling it is :func:`registry.backend`."""

    def __call__(self, name):
        """``with vqnet_core.backend(name) as B: ...`` -- ``name`` active inside."""
        return backend(name)


_sys.modules[__name__].__class__ = _CallableModule
