"""Run small GEMMs on one BLAS thread (public: backends built on NumPy's BLAS use it too).

Stable API for plugins: :data:`SMALL_MNK`, :func:`single_thread`, :func:`gemm_size`.

OpenBLAS splits every GEMM above about 2.6e5 multiply-adds across its threads. For the small
products of a small network (a 5x5 conv at batch 32: a few million multiply-adds, a fraction of a
millisecond on one core) the hand-off costs more than it saves, and on a busy machine, where a
woken BLAS thread waits a whole scheduler tick for a core, it makes such a GEMM 20-50x slower.
:func:`single_thread` caps the library at one thread around one call when the product is
small. Results agree to float rounding, not bitwise: BLAS may pick other kernels or splits for
another thread count.

The library is found among the loaded shared objects (Linux ``/proc/self/maps``); where it is
not found (another BLAS, another OS) this is a no-op.

>>> import numpy as np
>>> a = np.ones((64, 400)); b = np.ones((400, 400))
>>> with single_thread(a.shape[0] * a.shape[1] * b.shape[1]):
...     float((a @ b)[0, 0])
400.0
"""

from __future__ import annotations

import ctypes
import threading
from contextlib import AbstractContextManager, nullcontext

__all__ = ["SMALL_MNK", "gemm_size", "single_thread"]

#: Products with at most this many multiply-adds run on one thread (about 1 ms on one core).
SMALL_MNK = 1 << 23
#: OpenBLAS's own threshold: smaller products are single-threaded anyway.
_OPENBLAS_MIN = 65536 * 4

_lock = threading.Lock()
_depth = 0
_saved = 1
_api: tuple | None = None  # (get, set) or () when there is no OpenBLAS to control


def _find() -> tuple:
    import numpy  # noqa: F401  (loads numpy's BLAS)

    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and "/" in ln}
    except OSError:
        return ()
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    return (get, put)
    return ()


class _OneThread(AbstractContextManager):
    def __enter__(self):
        global _depth, _saved
        get, put = _api
        with _lock:
            if _depth == 0:
                _saved = get()
                if _saved > 1:
                    put(1)
            _depth += 1
        return self

    def __exit__(self, *exc):
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved > 1:
                _api[1](_saved)
        return False


_ONE = _OneThread()
_NULL = nullcontext()


def single_thread(mnk: int) -> AbstractContextManager:
    """A context that runs a GEMM of ``mnk`` multiply-adds on one BLAS thread when it is small
    enough that threading would not pay (a no-op context otherwise)."""
    global _api
    if not _OPENBLAS_MIN < mnk <= SMALL_MNK:
        return _NULL
    if _api is None:
        _api = _find()
    return _ONE if _api else _NULL


def gemm_size(a_shape: tuple, b_shape: tuple) -> int:
    """Multiply-adds of ONE matrix product in ``a @ b`` (batch dimensions not counted)."""
    if len(a_shape) < 1 or len(b_shape) < 1:
        return 0
    m = a_shape[-2] if len(a_shape) >= 2 else 1
    n = b_shape[-1] if len(b_shape) >= 2 else 1
    return m * n * a_shape[-1]
