"""The array-backend protocol: what a compute engine must provide to hold QTensor data.

A backend is a class with a ``name``, a :class:`Capabilities` and the required primitives
below, each working on the backend's own native arrays. Gradients are not the backend's job:
the core writes every derivative rule in these primitives.

Optional fused kernels are looked up by name through :meth:`ArrayBackend.kernel`; a backend
declares the names it implements in ``capabilities.kernels`` and defines a method
``k_<name>``. The core holds a reference composition for each kernel (``*_reference``
functions next to the caller: ``ops/linalg.py``, ``nn/functional.py``, ``nn/loss.py``,
``optim/*.py``, ``quantum/kernels.py``; the list with signatures is in
``docs/writing-a-backend.md``), and the conformance suite checks a declared kernel against it.
:func:`required_primitives` (a module function) lists the abstract methods.

Conventions that every primitive follows:

* dtypes are passed as VQNet dtype *names* (``"float32"``, ``"complex128"``, ...);
* shapes are tuples of non-negative ints; axes are already normalised (non-negative);
* binary ops broadcast like NumPy, and their operands already have one common dtype
  (the core promotes first); a Python scalar (``bool``, ``int``, ``float``, ``complex``) may
  stand for either operand and never changes the array's dtype: an int32 array with a
  Python int is int32, a float32 array with a Python float is float32 (NumPy 2's rule);
* every primitive keeps the dtype of its array operands unless its docstring says otherwise
  (comparisons give bool, ``arg_reduce`` / ``sort`` indices int64, ``real`` / ``imag`` /
  ``abs`` / ``angle`` of complex give the matching float) -- in particular an int32 ``sum``
  is int32: the core widens integers to int64 itself before summing, as PyTorch does;
* functions never modify their inputs; each returns a new array (or a view the core
  will never write through).

Example -- the smallest possible check that a backend answers::

    >>> from vqnet_core.backend import get_backend
    >>> B = get_backend("numpy")
    >>> B.to_numpy(B.binary("add", B.from_numpy(__import__("numpy").ones(2)), 1.0)).tolist()
    [2.0, 2.0]
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = Any
Shape = tuple[int, ...]

#: Elementwise unary primitives, by name.
UNARY_OPS: frozenset[str] = frozenset({
    "neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf",
    "floor", "ceil", "round", "trunc", "conj", "real", "imag", "angle",
    "logical_not", "isnan", "isinf", "isfinite", "sigmoid", "reciprocal", "square",
})
#: Elementwise binary primitives (broadcasting), by name.
BINARY_OPS: frozenset[str] = frozenset({
    "add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2", "floordiv",
    "remainder", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
    "logical_xor", "complex",
})
#: Binary primitives whose result is boolean.
COMPARISON_OPS: frozenset[str] = frozenset({
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
})
#: Reductions over a tuple of axes, by name.
REDUCE_OPS: frozenset[str] = frozenset({"sum", "prod", "max", "min", "any", "all"})
#: Index-returning reductions over one axis.
ARG_REDUCE_OPS: frozenset[str] = frozenset({"argmax", "argmin"})
#: Scans over one axis.
SCAN_OPS: frozenset[str] = frozenset({"cumsum", "cumprod"})
#: Distributions of :meth:`ArrayBackend.random`.
RANDOM_DISTS: frozenset[str] = frozenset({"uniform", "normal", "randint", "bernoulli"})


@dataclass(frozen=True)
class Capabilities:
    """What a backend declares about itself.

    ``dtypes``: the dtype names it can hold. ``kernels``: the optional fused kernels it
    implements. ``complex``: whether complex dtypes work. ``device``: where data lives.
    """

    dtypes: frozenset[str] = frozenset(
        {"bool", "int32", "int64", "float32", "float64", "complex64", "complex128"}
    )
    kernels: frozenset[str] = frozenset()
    complex: bool = True
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)


class BackendError(RuntimeError):
    """A backend cannot do what was asked (missing dtype, kernel or device)."""


class BackendUnavailableError(BackendError):
    """A backend is installed but cannot run on this machine (no device, no driver, a missing
    runtime library). Its constructor raises it with the reason and what to do; ``vqnet info``
    lists the backend as unavailable with that reason and the conformance suite skips it.

    >>> str(BackendUnavailableError("backend 'gpu' is unavailable: no CUDA device"))
    "backend 'gpu' is unavailable: no CUDA device"
    """


class ArrayBackend(abc.ABC):
    """Base class of every array backend. Subclasses implement the abstract primitives."""

    #: The name users select it by (``vqnet_core.set_backend(name)``).
    name: str = ""
    capabilities: Capabilities = Capabilities()

    # ---- creation and host transfer -------------------------------------------------
    @abc.abstractmethod
    def from_numpy(self, array: np.ndarray) -> Array:
        """A backend array holding ``array`` (its dtype is already a VQNet dtype)."""

    @abc.abstractmethod
    def to_numpy(self, a: Array) -> np.ndarray:
        """A host NumPy array with the same values (may share memory)."""

    @abc.abstractmethod
    def full(self, shape: Shape, value: Any, dtype: str) -> Array:
        """A new array of ``shape`` filled with ``value``."""

    @abc.abstractmethod
    def arange(self, start: Any, stop: Any, step: Any, dtype: str) -> Array:
        """``[start, stop)`` by ``step`` (NumPy's ``arange``)."""

    @abc.abstractmethod
    def astype(self, a: Array, dtype: str) -> Array:
        """``a`` cast to ``dtype`` (complex to real keeps the real part)."""

    @abc.abstractmethod
    def dtype_name(self, a: Array) -> str:
        """The VQNet dtype name of ``a``."""

    @abc.abstractmethod
    def shape(self, a: Array) -> Shape:
        """The shape of ``a``."""

    # ---- elementwise --------------------------------------------------------------
    @abc.abstractmethod
    def unary(self, op: str, a: Array) -> Array:
        """Elementwise ``op`` (one of :data:`UNARY_OPS`)."""

    @abc.abstractmethod
    def binary(self, op: str, a: Array, b: Array) -> Array:
        """Elementwise, broadcasting ``op`` (one of :data:`BINARY_OPS`)."""

    @abc.abstractmethod
    def where(self, cond: Array, a: Array, b: Array) -> Array:
        """``a`` where ``cond`` else ``b``, broadcasting."""

    # ---- reductions and scans -----------------------------------------------------
    @abc.abstractmethod
    def reduce(self, op: str, a: Array, axes: tuple[int, ...] | None, keepdims: bool) -> Array:
        """Reduce over ``axes`` with ``op`` in :data:`REDUCE_OPS`; the dtype is kept.

        ``axes=None`` reduces every axis; ``axes=()`` (an empty tuple) reduces none and
        returns the values unchanged. An axis of length 0 gives the op's identity (``sum`` 0,
        ``prod`` 1, ``any`` False, ``all`` True); ``max`` / ``min`` over it raise
        ``ValueError``. ``sum`` / ``prod`` of an integer dtype stay in that dtype (wrapping on
        overflow); the core never passes bool to them.
        """

    @abc.abstractmethod
    def arg_reduce(self, op: str, a: Array, axis: int | None, keepdims: bool) -> Array:
        """int64 indices of ``argmax`` / ``argmin`` along ``axis`` (``None``: flattened)."""

    @abc.abstractmethod
    def scan(self, op: str, a: Array, axis: int) -> Array:
        """Inclusive ``cumsum`` / ``cumprod`` along ``axis``."""

    @abc.abstractmethod
    def sort(self, a: Array, axis: int, descending: bool) -> tuple[Array, Array]:
        """Stable sort: ``(values, int64 indices)``."""

    # ---- movement -----------------------------------------------------------------
    @abc.abstractmethod
    def reshape(self, a: Array, shape: Shape) -> Array:
        """``a`` with a new shape of the same size."""

    @abc.abstractmethod
    def permute(self, a: Array, axes: tuple[int, ...]) -> Array:
        """Axes reordered."""

    @abc.abstractmethod
    def broadcast_to(self, a: Array, shape: Shape) -> Array:
        """``a`` expanded to ``shape`` under broadcasting rules."""

    @abc.abstractmethod
    def getitem(self, a: Array, key: tuple) -> Array:
        """Basic and advanced indexing; ``key`` is a tuple of ints, slices, ``None``,
        ``Ellipsis``, and native int64 / bool index arrays (NumPy semantics)."""

    @abc.abstractmethod
    def index_add(self, a: Array, key: tuple, values: Array) -> Array:
        """A copy of ``a`` with ``values`` added at ``key``; repeated indices accumulate."""

    @abc.abstractmethod
    def pad(self, a: Array, pads: tuple[tuple[int, int], ...], value: Any) -> Array:
        """Constant padding, ``pads[i] = (before, after)`` for every axis."""

    @abc.abstractmethod
    def concatenate(self, arrays: Sequence[Array], axis: int) -> Array:
        """Join arrays of one dtype along an existing axis."""

    @abc.abstractmethod
    def flip(self, a: Array, axes: tuple[int, ...]) -> Array:
        """Reverse the order of elements along ``axes``."""

    # ---- contraction and indexing -------------------------------------------------
    @abc.abstractmethod
    def matmul(self, a: Array, b: Array) -> Array:
        """Batched matrix product with NumPy's ``matmul`` broadcasting (both >= 2-D)."""

    @abc.abstractmethod
    def gather(self, a: Array, axis: int, index: Array) -> Array:
        """``out[..i..] = a[..index[..i..]..]`` along ``axis`` (torch.gather)."""

    @abc.abstractmethod
    def scatter_add(self, a: Array, axis: int, index: Array, src: Array) -> Array:
        """A copy of ``a`` with ``src`` added at ``index`` along ``axis`` (torch.scatter_add)."""

    # ---- randomness ---------------------------------------------------------------
    @abc.abstractmethod
    def random(self, dist: str, key: tuple[int, int], shape: Shape, dtype: str,
               a: float = 0.0, b: float = 1.0) -> Array:
        """Counter-based random numbers: the same ``key`` always gives the same array.

        ``uniform`` on [a, b), ``normal`` with mean a and std b, ``randint`` on [a, b),
        ``bernoulli`` with probability a of a one. The result always has ``dtype``:
        ``bernoulli`` gives 0 / 1 in whatever dtype is asked for (False / True for bool).
        """

    # ---- optional kernels ---------------------------------------------------------
    def kernel(self, name: str) -> Callable[..., Any] | None:
        """The fused kernel ``name`` if declared in ``capabilities.kernels``, else None."""
        if name not in self.capabilities.kernels:
            return None
        return getattr(self, "k_" + name, None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def required_primitives() -> list[str]:
    """Names of the abstract methods a backend must implement."""
    return sorted(ArrayBackend.__abstractmethods__)
