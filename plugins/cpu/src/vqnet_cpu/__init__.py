"""vqnet-cpu: VQNet's CPU array backend, a C extension with OpenMP.

Installing the distribution registers the array backend ``cpu`` (entry-point group
``vqnet.array_backends``); select it like any other backend::

    >>> import vqnet_core as vq
    >>> with vq.backend("cpu"):
    ...     (vq.ones(3) * 2).tolist()
    [2.0, 2.0, 2.0]

Arrays are plain NumPy arrays (zero-copy interchange); the compute-heavy primitives and the
fused nn / optimizer kernels run in C. ``set_num_threads(n)`` sets the threads of every
kernel (default 2, or ``OMP_NUM_THREADS``).
"""

from __future__ import annotations

import os


def _load_ext():
    """Import the extension with a short OpenMP spin-wait unless the user chose one.

    libgomp's default makes idle workers spin for a long time after each parallel region;
    the conv kernels alternate OpenMP loops with BLAS calls (which have their own threads),
    and on a 2-core machine the spinning workers starve BLAS (measured: ~40x slower conv2d
    under load). libgomp reads the variable once, when it is loaded, so it is set only for
    that moment and the user's environment is restored afterwards.
    """
    keys = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
    if any(k in os.environ for k in keys):
        from . import _ext
        return _ext
    os.environ["GOMP_SPINCOUNT"] = "10000"
    try:
        from . import _ext
    finally:
        del os.environ["GOMP_SPINCOUNT"]
    return _ext


_ext = _load_ext()
from ._backend import CpuBackend  # noqa: E402

__version__ = "0.1.0"
__all__ = ["CpuBackend", "set_num_threads", "get_num_threads", "__version__"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads (>= 1) in every kernel of this backend.

    >>> import vqnet_cpu
    >>> vqnet_cpu.set_num_threads(2); vqnet_cpu.get_num_threads()
    2
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads needs an int, got {type(n).__name__}")
    _ext.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads the kernels use."""
    return _ext.get_num_threads()
