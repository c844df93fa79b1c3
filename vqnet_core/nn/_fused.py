"""Choosing between a backend's fused kernel and the core's reference composition.

The functional ops ask :func:`fused_kernel` for a backend kernel; inside
``use_fused(False)`` they always run the reference composition (written in QTensor ops,
its gradient from the tape) -- that is how the tests compare the two.

>>> import vqnet_core as vq
>>> from vqnet_core.nn import functional as F
>>> x = vq.randn(1, 1, 4, 4); w = vq.randn(1, 1, 3, 3)
>>> with F.use_fused(False):
...     ref = F.conv2d(x, w)
>>> bool(vq.allclose(ref, F.conv2d(x, w), atol=1e-5))
True
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["use_fused", "fused_enabled", "fused_kernel"]


class _State(threading.local):
    enabled = True


_state = _State()


@contextlib.contextmanager
def use_fused(flag: bool = True) -> Iterator[None]:
    """Allow (``True``) or forbid (``False``) fused backend kernels inside the block."""
    prev = _state.enabled
    _state.enabled = bool(flag)
    try:
        yield
    finally:
        _state.enabled = prev


def fused_enabled() -> bool:
    """Whether functional ops may use fused backend kernels in this thread."""
    return _state.enabled


def fused_kernel(B: Any, name: str, dtype: Any) -> tuple[Callable, Callable] | None:
    """``(kernel, backward_kernel)`` of backend ``B`` for a real float ``dtype``, or None."""
    if not _state.enabled or dtype.kind != "f":
        return None
    fwd, bwd = B.kernel(name), B.kernel(name + "_backward")
    if fwd is None or bwd is None:
        return None
    return fwd, bwd
