"""pyvqnet's ``pyvqnet.tensor.tensor``: the ``QTensor`` class and the ``tensor.xxx`` functions.

A compatibility layer over :mod:`vqnet_core`: every function returns an ordinary
:class:`vqnet_core.QTensor` (with autograd); ``QTensor`` here is a subclass whose constructor
takes pyvqnet's arguments (``nodes=``, ``device=``, an int ``dtype`` code) and
``isinstance(x, QTensor)`` holds for every VQNet tensor. Importing this module adds pyvqnet's
extra tensor methods (``sums``, ``topK``, ``swapaxis``, ``toGPU``...) and the ``size``
attribute to all VQNet tensors; it changes no existing method.

>>> from vqnet_core.compat.pyvqnet.tensor import tensor, QTensor
>>> x = QTensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x.size, tensor.sums(x).item(), tensor.flatten(x).shape
(4, 10.0, (4,))
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import vqnet_core as _vq
from vqnet_core.autograd.engine import Node, is_grad_enabled
from vqnet_core.dtypes import as_dtype

_CoreQTensor = _vq.QTensor
# the module (``vqnet_core.tensor`` the attribute is the factory function)
_tensor_mod = importlib.import_module("vqnet_core.tensor")

# pyvqnet's device codes
DEV_CPU = 0
DEV_GPU = DEV_GPU_0 = 1000

# ------------------------------------------------------------------ dtypes
kbool, kint32, kint64 = _vq.bool_, _vq.int32, _vq.int64
kfloat32, kfloat64 = _vq.float32, _vq.float64
kcomplex64, kcomplex128 = _vq.complex64, _vq.complex128


def _dt(dtype: Any) -> Any:
    return None if dtype is None else as_dtype(dtype)


# ------------------------------------------------------------------ the QTensor class
class ComputationalGraphNode:
    """pyvqnet's custom graph node: ``tensor`` is an input of the new tensor and ``df(g)``
    maps the upstream gradient (a NumPy array) to the gradient for ``tensor``.

    This is the paper's spelling of :class:`vqnet_core.autograd.Function`, which is the
    VQNet way to write a custom differentiable op.
    """

    __slots__ = ("tensor", "df")

    def __init__(self, tensor: Any, df: Callable[[np.ndarray], Any]) -> None:
        self.tensor = tensor
        self.df = df


GraphNode = ComputationalGraphNode


class _QTensorMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _CoreQTensor)

    @property
    def NO_GRAD(cls) -> bool:  # noqa: N802  pyvqnet's spelling
        """True inside ``no_grad()`` (pyvqnet's ``QTensor.NO_GRAD``)."""
        return not is_grad_enabled()


class QTensor(_CoreQTensor, metaclass=_QTensorMeta):
    """pyvqnet's constructor: ``QTensor(data, requires_grad=False, nodes=None, device=0,
    dtype=None, name="")``.

    ``nodes``: a list of :class:`ComputationalGraphNode`; the new tensor then is a node of the
    autograd graph whose gradient flows to each ``node.tensor`` through ``node.df``.

    >>> from vqnet_core.compat.pyvqnet.tensor import QTensor
    >>> x = QTensor([1.0, 2.0], requires_grad=True)
    >>> y = QTensor(x.numpy() ** 2, requires_grad=True,
    ...             nodes=[QTensor.GraphNode(tensor=x, df=lambda g: g * 2 * x.numpy())])
    >>> y.sum().backward(); x.grad.tolist()
    [2.0, 4.0]
    """

    GraphNode = ComputationalGraphNode
    ComputationalGraphNode = ComputationalGraphNode

    def __init__(self, data: Any = None, requires_grad: bool = False, nodes: Any = None,
                 device: int = DEV_CPU, dtype: Any = None, name: str = "") -> None:
        if data is None:
            data = []
        if isinstance(data, _CoreQTensor):
            data = data.detach()
        elif not isinstance(data, np.ndarray):
            data = np.asarray(data)
            if dtype is None and data.dtype.kind in "biuf":
                # Python numbers and lists: pyvqnet's default dtype, float32 (pass
                # dtype=kint64 for integer labels); NumPy arrays keep their dtype
                data = data.astype(np.float32)
        super().__init__(data, dtype=_dt(dtype))
        self.name = name
        if nodes:
            parents = [n.tensor for n in nodes]
            if requires_grad and is_grad_enabled() and any(
                    getattr(p, "requires_grad", False) for p in parents):
                self._attach(list(nodes))
        elif requires_grad:
            self.requires_grad_(True)
        if device not in (None, DEV_CPU, "cpu"):
            moved = _move(self, device)
            self._data, self._b = moved._data, moved._b

    def _attach(self, nodes: list) -> None:
        B = self._b
        ins = [n.tensor for n in nodes]

        def backward(g):
            g_np = B.to_numpy(g)
            out = []
            for n in nodes:
                p = n.tensor
                if not getattr(p, "requires_grad", False):
                    out.append(None)
                    continue
                arr = np.asarray(n.df(g_np), dtype=p.dtype.name)
                if arr.shape != p.shape:
                    arr = arr.reshape(p.shape) if arr.size == p.numel() else \
                        np.broadcast_to(arr, p.shape).copy()
                out.append(p._b.from_numpy(np.ascontiguousarray(arr)))
            return out
        self.requires_grad = True
        self._node = Node(ins, backward, "ComputationalGraphNode")


def _pyvqnet_leaf(t: _CoreQTensor) -> bool:
    """Whether the graph of ``t`` starts at a tensor made with pyvqnet's constructor."""
    seen, stack = set(), [t]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if type(x) is QTensor:
            return True
        node = x._node
        if node is not None:
            stack.extend(i for i in node.inputs if i is not None)
    return False


# pyvqnet seeds ones for backward() on a non-scalar output; so does VQNet, for graphs that
# start at a pyvqnet-constructed QTensor (torch's error stays for every other graph).
if _pyvqnet_leaf not in _tensor_mod._IMPLICIT_GRAD_HOOKS:
    _tensor_mod._IMPLICIT_GRAD_HOOKS.append(_pyvqnet_leaf)


# ------------------------------------------------------------------ devices
def _gpu_backend() -> str | None:
    """The first installed array backend whose data lives off the host, or None."""
    return _find_gpu()[0]


def _find_gpu() -> tuple[str | None, str]:
    """``(name, "")`` of the first usable GPU array backend, else ``(None, why)``: an installed
    GPU backend that cannot run here (``BackendUnavailableError``) gives its reason."""
    from vqnet_core.backend import BackendUnavailableError
    from vqnet_core.backend.registry import available_backends, get_backend
    why = ""
    for name in available_backends():
        try:
            if get_backend(name).capabilities.device != "cpu":
                return name, ""
        except BackendUnavailableError as exc:
            why = why or str(exc)
        except Exception:  # noqa: BLE001  a broken plugin is not a GPU
            continue
    return None, why


def _require_gpu() -> str:
    """The GPU backend ``toGPU`` moves to; a clear error when there is none (or it cannot run
    here: no device, no driver)."""
    name, why = _find_gpu()
    if name is not None:
        return name
    import vqnet_core
    if why:
        raise vqnet_core.backend.BackendUnavailableError(
            f"toGPU: no GPU array backend is available here: {why}")
    raise RuntimeError("toGPU: no GPU array backend is installed (VQNet's GPU support is a "
                       "backend plugin: pip install \"vqnet[gpu-cuda13]\" or "
                       "\"vqnet[gpu-cuda12]\"; available: "
                       + ", ".join(vqnet_core.available_backends()) + ")")


def _move(t: _CoreQTensor, device: Any) -> _CoreQTensor:
    if device in (DEV_CPU, "cpu"):
        return t if t.device == "cpu" else t.to("numpy")
    return t.to(_require_gpu())


# ------------------------------------------------------------------ functions
def to_tensor(x: Any) -> _CoreQTensor:
    """A number, list or array as a QTensor (pyvqnet's ``tensor.to_tensor``)."""
    return x if isinstance(x, _CoreQTensor) else QTensor(x)


def _t(x: Any) -> _CoreQTensor:
    return to_tensor(x)


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(s) for s in shape)


def _create(fn: Callable, shape: Any, dtype: Any, requires_grad: bool, device: Any = DEV_CPU,
            **kw: Any) -> _CoreQTensor:
    t = fn(_shape(shape), dtype=_dt(dtype), **kw)
    if device not in (None, DEV_CPU):
        t = _move(t, device)
    return t.requires_grad_(True) if requires_grad else t


def zeros(shape: Any, device: Any = DEV_CPU, dtype: Any = None,
          requires_grad: bool = False) -> _CoreQTensor:
    return _create(_vq.zeros, shape, dtype, requires_grad, device)


def ones(shape: Any, device: Any = DEV_CPU, dtype: Any = None,
         requires_grad: bool = False) -> _CoreQTensor:
    return _create(_vq.ones, shape, dtype, requires_grad, device)


def full(shape: Any, value: Any, device: Any = DEV_CPU, dtype: Any = None,
         requires_grad: bool = False) -> _CoreQTensor:
    t = _vq.full(_shape(shape), value, dtype=_dt(dtype))
    return t.requires_grad_(True) if requires_grad else t


def empty(shape: Any, device: Any = DEV_CPU, dtype: Any = None,
          requires_grad: bool = False) -> _CoreQTensor:
    return zeros(shape, device, dtype, requires_grad)


def zeros_like(t: Any, device: Any = DEV_CPU, dtype: Any = None,
               requires_grad: bool = False) -> _CoreQTensor:
    return zeros(_t(t).shape, device, dtype or _t(t).dtype, requires_grad)


def ones_like(t: Any, device: Any = DEV_CPU, dtype: Any = None,
              requires_grad: bool = False) -> _CoreQTensor:
    return ones(_t(t).shape, device, dtype or _t(t).dtype, requires_grad)


def full_like(t: Any, value: Any, device: Any = DEV_CPU, dtype: Any = None,
              requires_grad: bool = False) -> _CoreQTensor:
    return full(_t(t).shape, value, device, dtype or _t(t).dtype, requires_grad)


empty_like = zeros_like


def arange(start: Any, end: Any = None, step: Any = 1, device: Any = DEV_CPU,
           dtype: Any = None, requires_grad: bool = False) -> _CoreQTensor:
    if dtype is None and all(isinstance(v, int) for v in (start, end or 0, step)):
        dtype = kfloat32  # pyvqnet's arange is float32 unless told otherwise
    t = _vq.arange(start, end, step, dtype=_dt(dtype))
    return t.requires_grad_(True) if requires_grad else t


def linspace(start: Any, end: Any, num: int, device: Any = DEV_CPU, dtype: Any = None,
             requires_grad: bool = False) -> _CoreQTensor:
    return _vq.linspace(float(start), float(end), int(num), dtype=_dt(dtype),
                        requires_grad=requires_grad)


def logspace(start: Any, end: Any, nums: int, base: Any = 10.0, device: Any = DEV_CPU,
             dtype: Any = None, requires_grad: bool = False) -> _CoreQTensor:
    """``base ** linspace(start, end, nums)``."""
    t = QTensor(np.power(float(base), np.linspace(float(start), float(end), int(nums))),
                dtype=dtype or kfloat32)
    return t.requires_grad_(True) if requires_grad else t


def eye(size: int, offset: int = 0, device: Any = DEV_CPU, dtype: Any = None,
        requires_grad: bool = False) -> _CoreQTensor:
    t = QTensor(np.eye(int(size), k=int(offset)), dtype=dtype or kfloat32)
    return t.requires_grad_(True) if requires_grad else t


def randu(shape: Any, min: float = 0.0, max: float = 1.0, device: Any = DEV_CPU,  # noqa: A002
          dtype: Any = None, requires_grad: bool = False) -> _CoreQTensor:
    """Uniform on ``[min, max)``."""
    return _create(_vq.uniform, shape, dtype, requires_grad, device, low=min, high=max)


def randn(shape: Any, mean: float = 0.0, std: float = 1.0, device: Any = DEV_CPU,
          dtype: Any = None, requires_grad: bool = False) -> _CoreQTensor:
    return _create(_vq.normal, shape, dtype, requires_grad, device, mean=mean, std=std)


def randu_like(t: Any, min: float = 0.0, max: float = 1.0) -> _CoreQTensor:  # noqa: A002
    return randu(_t(t).shape, min, max, dtype=_t(t).dtype)


def randn_like(t: Any, mean: float = 0.0, std: float = 1.0) -> _CoreQTensor:
    return randn(_t(t).shape, mean, std, dtype=_t(t).dtype)


def set_random_seed(seed: int) -> None:
    """Seed VQNet's generator and NumPy's (pyvqnet's ``tensor.set_random_seed``)."""
    from ..utils.initializer import set_random_seed as _set
    _set(seed)


def get_random_seed() -> Any:
    from ..utils.initializer import get_random_seed as _get
    return _get()


# ---- shape
def reshape(t: Any, new_shape: Any) -> _CoreQTensor:
    return _vq.reshape(_t(t), tuple(new_shape) if not isinstance(new_shape, int) else new_shape)


def flatten(t: Any, start: int = 0, end: int = -1) -> _CoreQTensor:
    return _vq.flatten(_t(t), start, end)


def permute(t: Any, dim: Sequence[int]) -> _CoreQTensor:
    return _vq.permute(_t(t), *dim)


def transpose(t: Any, dim: Sequence[int] | None = None) -> _CoreQTensor:
    """pyvqnet's transpose takes a full permutation ``dim`` (reversed axes by default)."""
    t = _t(t)
    dim = tuple(reversed(range(t.ndim))) if dim is None else tuple(dim)
    return _vq.permute(t, *dim)


def swapaxis(t: Any, axis1: int, axis2: int) -> _CoreQTensor:
    return _vq.swapaxes(_t(t), axis1, axis2)


swapaxes = swapaxis


def moveaxis(t: Any, source: Any, destination: Any) -> _CoreQTensor:
    t = _t(t)
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [s % t.ndim for s in src]
    dst = [d % t.ndim for d in dst]
    order = [i for i in range(t.ndim) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return _vq.permute(t, *order)


def squeeze(t: Any, axis: int = -1) -> _CoreQTensor:
    """pyvqnet's default ``axis=-1`` removes every axis of length 1."""
    t = _t(t)
    return _vq.squeeze(t) if axis == -1 else _vq.squeeze(t, axis)


def unsqueeze(t: Any, axis: int = 0) -> _CoreQTensor:
    return _vq.unsqueeze(_t(t), axis)


def concatenate(args: Sequence[Any], axis: int = 0) -> _CoreQTensor:
    return _vq.cat([_t(a) for a in args], axis)


def stack(args: Sequence[Any], axis: int = 0) -> _CoreQTensor:
    return _vq.stack([_t(a) for a in args], axis)


def tile(t: Any, reps: Sequence[int]) -> _CoreQTensor:
    return _vq.tile(_t(t), tuple(reps))


def flip(t: Any, flip_dims: Any) -> _CoreQTensor:
    return _vq.flip(_t(t), flip_dims)


def broadcast_to(t: Any, ref: Sequence[int]) -> _CoreQTensor:
    return _vq.broadcast_to(_t(t), tuple(ref))


def gather(t: Any, dim: int, index: Any) -> _CoreQTensor:
    return _vq.gather(_t(t), dim, _t(index))


def scatter(input: Any, dim: int, indices: Any, src: Any) -> _CoreQTensor:  # noqa: A002
    """``input`` with ``src`` written at ``indices`` along ``dim`` (torch's ``scatter``)."""
    x, idx = _t(input), _t(indices).astype("int64")
    s = _t(src) if isinstance(src, _CoreQTensor | np.ndarray | list) else full(idx.shape, src,
                                                                                dtype=x.dtype)
    s = s[tuple(slice(0, n) for n in idx.shape)] if s.shape != idx.shape else s
    hit = _vq.scatter_add(_vq.zeros(x.shape, dtype=x.dtype), dim, idx,
                          _vq.ones(idx.shape, dtype=x.dtype)) > 0
    written = _vq.scatter_add(_vq.zeros(x.shape, dtype=x.dtype), dim, idx, s.astype(x.dtype))
    return _vq.where(hit, written, x)


def masked_fill(t: Any, mask: Any, value: Any) -> _CoreQTensor:
    t = _t(t)
    return _vq.where(_t(mask).astype("bool"), value, t)


def tril(t: Any, diagonal: int = 0) -> _CoreQTensor:
    t = _t(t)
    keep = np.tril(np.ones(t.shape[-2:], dtype=bool), k=diagonal)
    return _vq.where(QTensor(keep), t, 0)


def triu(t: Any, diagonal: int = 0) -> _CoreQTensor:
    t = _t(t)
    keep = np.triu(np.ones(t.shape[-2:], dtype=bool), k=diagonal)
    return _vq.where(QTensor(keep), t, 0)


def nonzero(t: Any) -> _CoreQTensor:
    """The indices of the non-zero elements, ``[N, ndim]`` int64 (as torch's)."""
    return QTensor(np.argwhere(_t(t).numpy() != 0).astype(np.int64))


# ---- reductions
def sums(t: Any, axis: Any = None, keepdims: bool = False) -> _CoreQTensor:
    return _vq.sum(_t(t), axis, keepdims)


def mean(t: Any, axis: Any = None, keepdims: bool = False) -> _CoreQTensor:
    return _vq.mean(_t(t), axis, keepdims)


def median(t: Any, axis: Any = None, keepdims: bool = False) -> _CoreQTensor:
    """pyvqnet's median: over an even count, the mean of the two middle values (as NumPy's;
    torch's ``median`` takes the lower one). Differentiable through the picked elements.

    >>> from vqnet_core.compat.pyvqnet import tensor
    >>> tensor.median(tensor.QTensor([[3.0, 1.0, 2.0, 4.0]])).item()
    2.5
    """
    t = _t(t)
    whole = axis is None
    ndim = t.ndim
    if whole:
        t, axis = t.reshape(-1), 0
    axis = axis % t.ndim
    m = t.shape[axis]
    if m == 0:
        raise ValueError(f"median of an empty axis (shape {t.shape}, axis {axis})")
    order = np.argsort(t.numpy(), axis=axis, kind="stable")
    picked = [_vq.gather(t, axis, QTensor(np.take(order, [k], axis=axis).astype(np.int64)))
              for k in sorted({(m - 1) // 2, m // 2})]
    out = picked[0] if len(picked) == 1 else (picked[0] + picked[1]) * 0.5
    if whole:
        return out.reshape((1,) * ndim) if keepdims else out.reshape(())
    return out if keepdims else out.squeeze(axis)


def max(t: Any, axis: Any = None, keepdims: bool = False) -> _CoreQTensor:  # noqa: A001
    return _vq.max(_t(t), axis, keepdims)


def min(t: Any, axis: Any = None, keepdims: bool = False) -> _CoreQTensor:  # noqa: A001
    return _vq.min(_t(t), axis, keepdims)


def argmax(t: Any, dim: Any = None, keepdims: bool = False) -> _CoreQTensor:
    return _vq.argmax(_t(t), dim, keepdims)


def argmin(t: Any, dim: Any = None, keepdims: bool = False) -> _CoreQTensor:
    return _vq.argmin(_t(t), dim, keepdims)


def std(t: Any, axis: Any = None, keepdims: bool = False, unbiased: bool = True):
    return _vq.std(_t(t), axis, keepdims, unbiased)


def var(t: Any, axis: Any = None, keepdims: bool = False, unbiased: bool = True):
    return _vq.var(_t(t), axis, keepdims, unbiased)


def cumsum(t: Any, axis: int = -1) -> _CoreQTensor:
    return _vq.cumsum(_t(t), axis)


def topK(t: Any, k: int, axis: int = -1, if_descent: bool = True) -> _CoreQTensor:  # noqa: N802
    """The ``k`` largest (``if_descent``) or smallest values along ``axis``."""
    return _vq.topk(_t(t), int(k), axis, largest=if_descent)[0]


def argtopK(t: Any, k: int, axis: int = -1, if_descent: bool = True) -> _CoreQTensor:  # noqa: N802
    return _vq.topk(_t(t), int(k), axis, largest=if_descent)[1]


def sort(t: Any, axis: int = -1, descending: bool = False, stable: bool = True):
    return _vq.sort(_t(t), axis, descending)[0]


def argsort(t: Any, axis: int = -1, descending: bool = False, stable: bool = True):
    return _vq.argsort(_t(t), axis, descending)


# ---- elementwise and comparisons
def add(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) + t2


def sub(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) - t2


def mul(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) * t2


def divide(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) / t2


def power(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) ** t2


def matmul(t1: Any, t2: Any) -> _CoreQTensor:
    return _vq.matmul(_t(t1), _t(t2))


def clip(t: Any, min_val: Any = None, max_val: Any = None) -> _CoreQTensor:
    """Clip to ``[min_val, max_val]``; a bound left None is open (as pyvqnet's)."""
    return _vq.clip(_t(t), min_val, max_val)


def where(condition: Any, t1: Any = None, t2: Any = None) -> _CoreQTensor:
    return _vq.where(_t(condition).astype("bool"), t1, t2)


def equal(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) == t2


def not_equal(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) != t2


def greater(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) > t2


def greater_equal(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) >= t2


def less(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) < t2


def less_equal(t1: Any, t2: Any) -> _CoreQTensor:
    return _t(t1) <= t2


def eigh(t: Any) -> tuple[_CoreQTensor, _CoreQTensor]:
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix (no gradient)."""
    w, v = np.linalg.eigh(_t(t).numpy())
    return QTensor(w), QTensor(v)


def _unary(name: str) -> Callable[[Any], _CoreQTensor]:
    fn = getattr(_vq, name)

    def f(t: Any) -> _CoreQTensor:
        return fn(_t(t))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``vqnet_core.{name}`` on a tensor (pyvqnet's ``tensor.{name}``)."
    return f


_UNARY = ["abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "exp", "floor", "log",
          "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt",
          "square", "tan", "tanh", "relu", "isfinite", "isinf", "isnan", "logical_not"]
for _n in _UNARY:
    globals()[_n] = _unary(_n)
maximum, minimum = _vq.maximum, _vq.minimum
logical_and, logical_or, logical_xor = _vq.logical_and, _vq.logical_or, _vq.logical_xor
softmax, log_softmax = _vq.softmax, _vq.log_softmax


def isGPU(t: Any) -> bool:  # noqa: N802
    return _t(t).device != "cpu"


# ------------------------------------------------------------------ methods on every tensor
class _Size(int):
    """``x.size``: pyvqnet's attribute (the number of elements) that can still be called
    as torch's ``x.size()`` / ``x.size(dim)``."""

    def __new__(cls, shape: tuple[int, ...]) -> _Size:
        obj = super().__new__(cls, math.prod(shape))
        obj._shape = shape
        return obj

    def __call__(self, dim: int | None = None) -> Any:
        return self._shape if dim is None else self._shape[dim]


def _size(self: _CoreQTensor) -> _Size:
    return _Size(self.shape)


def _astype(self: _CoreQTensor, dtype: Any) -> _CoreQTensor:
    return self.astype(dtype)


_METHODS: dict[str, Any] = {
    "sums": sums, "median": median, "topK": topK, "argtopK": argtopK,
    "masked_fill": masked_fill, "tril": tril, "triu": triu, "swapaxis": swapaxis,
    "moveaxis": moveaxis, "nonzero": nonzero, "scatter": scatter,
    "greater": greater, "greater_equal": greater_equal, "less": less,
    "less_equal": less_equal, "equal": equal, "not_equal": not_equal,
    "toGPU": lambda self, device=DEV_GPU_0: _move(self, device),
    "toCPU": lambda self: _move(self, DEV_CPU),
    "move_to_device": lambda self, device: _move(self, device),
    "isGPU": lambda self: self.device != "cpu",
    "isCPU": lambda self: self.device == "cpu",
    "getdata": lambda self: self.numpy(),
    "is_contiguous": lambda self: True,
}


def _install() -> None:
    for name, fn in _METHODS.items():
        if not hasattr(_CoreQTensor, name):
            setattr(_CoreQTensor, name, fn)
    if not isinstance(_CoreQTensor.__dict__.get("size"), property):
        _CoreQTensor.size = property(_size, doc=_Size.__doc__)


_install()

__all__ = ["QTensor", "ComputationalGraphNode", "GraphNode", "to_tensor", "DEV_CPU", "DEV_GPU",
           "DEV_GPU_0", "kbool", "kint32", "kint64", "kfloat32", "kfloat64", "kcomplex64",
           "kcomplex128", "maximum", "minimum", "logical_and", "logical_or", "logical_xor",
           "softmax", "log_softmax",
           *[n for n, v in list(globals().items()) if not n.startswith("_")
             and callable(v) and getattr(v, "__module__", "") == __name__
             and not isinstance(v, type)]]
