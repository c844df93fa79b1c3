"""Tensor creation and seeded random numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend.registry import get_backend
from ..dtypes import as_dtype, bool_, float32, get_default_dtype, int64
from ._base import QTensor, make, to_tensor


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = tuple(int(s) for s in shape)
    if any(s < 0 for s in out):
        raise ValueError(f"negative dimension in shape {out}")
    return out


def _finish(data, B, dtype, requires_grad: bool) -> QTensor:
    t = make(data, B, dtype, (), None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           backend: Any = None) -> QTensor:
    """A new tensor from numpy data, nested lists or a scalar.

    >>> import vqnet_core as vq
    >>> vq.tensor([1, 2]).dtype, vq.tensor([1.0]).dtype
    (vqnet_core.int64, vqnet_core.float32)
    """
    return QTensor(data, dtype=dtype, requires_grad=requires_grad, backend=backend)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         backend: Any = None) -> QTensor:
    """A tensor of ``shape`` (an int or a sequence) filled with ``fill_value``, like
    ``torch.full``; the dtype follows the fill value (bool, int64, default float/complex).

    >>> import vqnet_core as vq
    >>> vq.full((2,), 3).tolist(), vq.full(2, 0.5).dtype
    ([3, 3], vqnet_core.float32)
    """
    B = get_backend(backend)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = bool_
        elif isinstance(fill_value, int):
            dtype = int64
        elif isinstance(fill_value, complex):
            dtype = get_default_dtype().to_complex()
    d = as_dtype(dtype)
    return _finish(B.full(_shape(shape), fill_value, d.name), B, d, requires_grad)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          backend: Any = None) -> QTensor:
    """A tensor of zeros (default dtype float32)."""
    d = as_dtype(dtype)
    return full(_shape(shape), 0, dtype=d, requires_grad=requires_grad, backend=backend)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         backend: Any = None) -> QTensor:
    """A tensor of ones (default dtype float32)."""
    d = as_dtype(dtype)
    return full(_shape(shape), 1, dtype=d, requires_grad=requires_grad, backend=backend)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          backend: Any = None) -> QTensor:
    """An uninitialised tensor (zeros here: backends need not expose garbage)."""
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad, backend=backend)


def _like(x: QTensor, value: Any, dtype: Any, requires_grad: bool) -> QTensor:
    x = to_tensor(x)
    d = x._dtype if dtype is None else as_dtype(dtype)
    return _finish(x._b.full(x.shape, value, d.name), x._b, d, requires_grad)


def zeros_like(x: QTensor, dtype: Any = None, requires_grad: bool = False) -> QTensor:
    """Zeros with the shape, dtype and backend of ``x``."""
    return _like(x, 0, dtype, requires_grad)


def ones_like(x: QTensor, dtype: Any = None, requires_grad: bool = False) -> QTensor:
    """Ones with the shape, dtype and backend of ``x``."""
    return _like(x, 1, dtype, requires_grad)


def full_like(x: QTensor, fill_value: Any, dtype: Any = None,
              requires_grad: bool = False) -> QTensor:
    """``fill_value`` with the shape, dtype and backend of ``x``."""
    return _like(x, fill_value, dtype, requires_grad)


def empty_like(x: QTensor, dtype: Any = None, requires_grad: bool = False) -> QTensor:
    """Like :func:`zeros_like`."""
    return _like(x, 0, dtype, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, backend: Any = None) -> QTensor:
    """Values in ``[start, end)`` by ``step``; integer arguments give int64."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange step must be non-zero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = int64 if ints else get_default_dtype()
    d = as_dtype(dtype)
    B = get_backend(backend)
    return _finish(B.arange(start, end, step, d.name), B, d, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, backend: Any = None) -> QTensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise ValueError("linspace steps must be non-negative")
    d = as_dtype(dtype)
    B = get_backend(backend)
    return _finish(B.from_numpy(np.linspace(start, end, steps).astype(d.name)), B, d,
                   requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        backend: Any = None) -> QTensor:
    """The ``n x m`` identity matrix."""
    d = as_dtype(dtype)
    B = get_backend(backend)
    return _finish(B.from_numpy(np.eye(n, m, dtype=d.name)), B, d, requires_grad)


# ---------------------------------------------------------------- randomness
class _Seed:
    seed = 0
    counter = 0


def _seed_int(seed: Any, fn: str) -> int:
    """``seed`` as a Python int; a TypeError naming ``fn`` for anything that is not one."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{fn}: the seed must be an int, got {type(seed).__name__} {seed!r}")
    return int(seed)


def manual_seed(seed: int) -> None:
    """Seed VQNet's random numbers; the same seed replays the same sequence on every backend
    with the same counter-based generator.

    >>> import vqnet_core as vq
    >>> vq.manual_seed(0); a = vq.rand(2); vq.manual_seed(0); b = vq.rand(2)
    >>> a.tolist() == b.tolist()
    True
    """
    _Seed.seed = _seed_int(seed, "manual_seed") & 0xFFFFFFFFFFFFFFFF
    _Seed.counter = 0


def next_key() -> tuple[int, int]:
    """A fresh ``(seed, counter)`` key for one random call."""
    _Seed.counter += 1
    return (_Seed.seed, _Seed.counter)


def get_rng_state() -> tuple[int, int]:
    """The generator's state, for :func:`set_rng_state`."""
    return (_Seed.seed, _Seed.counter)


def set_rng_state(state: tuple[int, int]) -> None:
    """Restore a state taken with :func:`get_rng_state`."""
    _Seed.seed, _Seed.counter = int(state[0]), int(state[1])


def _random(dist: str, shape, dtype, a, b, requires_grad, backend) -> QTensor:
    B = get_backend(backend)
    d = as_dtype(dtype)
    return _finish(B.random(dist, next_key(), _shape(shape), d.name, a, b), B, d, requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         backend: Any = None) -> QTensor:
    """Uniform random numbers on [0, 1)."""
    return _random("uniform", shape, dtype, 0.0, 1.0, requires_grad, backend)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          backend: Any = None) -> QTensor:
    """Standard normal random numbers."""
    return _random("normal", shape, dtype, 0.0, 1.0, requires_grad, backend)


def uniform(shape: Any, low: float = 0.0, high: float = 1.0, dtype: Any = None,
            requires_grad: bool = False, backend: Any = None) -> QTensor:
    """Uniform random numbers on [low, high)."""
    return _random("uniform", (shape,) if isinstance(shape, int) else tuple(shape), dtype, low,
                   high, requires_grad, backend)


def normal(shape: Any, mean: float = 0.0, std: float = 1.0, dtype: Any = None,
           requires_grad: bool = False, backend: Any = None) -> QTensor:
    """Normal random numbers with ``mean`` and ``std``."""
    return _random("normal", (shape,) if isinstance(shape, int) else tuple(shape), dtype, mean,
                   std, requires_grad, backend)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = int64,
            backend: Any = None) -> QTensor:
    """Random integers on [low, high)."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: empty range [{low}, {high})")
    return _random("randint", (size,) if isinstance(size, int) else tuple(size), dtype, low,
                   high, False, backend)


def randperm(n: int, backend: Any = None) -> QTensor:
    """A random permutation of ``0..n-1`` (int64)."""
    keys = _random("uniform", (n,), float32 if n < 2**24 else "float64", 0.0, 1.0, False, backend)
    return keys.argsort()


def bernoulli(shape: Any, p: float, dtype: Any = None, backend: Any = None) -> QTensor:
    """0/1 samples with probability ``p`` of a one."""
    if not 0.0 <= p <= 1.0 or math.isnan(p):
        raise ValueError(f"bernoulli probability must be in [0, 1], got {p}")
    return _random("bernoulli", (shape,) if isinstance(shape, int) else tuple(shape), dtype, p,
                   0.0, False, backend)
