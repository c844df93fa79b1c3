"""Array backends: the protocol, the registry, and the NumPy reference backend."""

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
    "ArrayBackend", "Capabilities", "BackendError", "BackendImportError", "UnknownBackendError",
    "UNARY_OPS", "BINARY_OPS", "COMPARISON_OPS", "REDUCE_OPS", "ARG_REDUCE_OPS", "SCAN_OPS",
    "RANDOM_DISTS", "required_primitives", "available_backends", "backend", "get_backend",
    "list_entry_points", "register_backend", "set_backend",
]
