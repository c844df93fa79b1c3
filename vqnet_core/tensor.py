"""QTensor: the user-facing tensor, a backend array plus autograd state.

>>> import vqnet_core as vq
>>> x = vq.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad.tolist()
[[2.0, 4.0], [6.0, 8.0]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .dtypes import DType, as_dtype


class QTensor:
    """An n-dimensional array on an array backend, with reverse-mode autograd."""

    # _version counts in-place writes; _view names the op when this tensor is what PyTorch
    # would return as a view of another tensor (in-place writes to it are refused).
    __slots__ = ("_data", "_b", "_dtype", "requires_grad", "grad", "_node", "_retain", "name",
                 "_version", "_view", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> QTensor defers to QTensor

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 backend: Any = None) -> None:
        from .ops._base import to_tensor

        if isinstance(data, QTensor):
            src = data.to(backend) if backend is not None else data
            src = src.astype(dtype) if dtype is not None else src
            self._data, self._b, self._dtype = src._data, src._b, src._dtype
        else:
            t = to_tensor(data, backend, dtype)
            self._data, self._b, self._dtype = t._data, t._b, t._dtype
        self.grad: QTensor | None = None
        self._node = None
        self._retain = False
        self.name = ""
        self._version = 0
        self._view = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: Any, B: Any, dtype: DType) -> QTensor:
        t = cls.__new__(cls)
        t._data, t._b, t._dtype = data, B, dtype
        t.requires_grad = False
        t.grad = None
        t._node = None
        t._retain = False
        t.name = ""
        t._version = 0
        t._view = None
        return t

    # ---------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._b.shape(self._data))

    @property
    def ndim(self) -> int:
        return len(self._b.shape(self._data))

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def backend(self) -> str:
        """The name of the array backend holding the data."""
        return self._b.name

    @property
    def device(self) -> str:
        return self._b.capabilities.device

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def data(self) -> QTensor:
        """A detached tensor sharing the data (as in PyTorch)."""
        return self.detach()

    @data.setter
    def data(self, value: QTensor) -> None:
        self._data = value._data if isinstance(value, QTensor) else self._b.from_numpy(
            np.asarray(value, dtype=self._dtype.name))
        self._version += 1

    @property
    def T(self) -> QTensor:
        return _sh.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def real(self) -> QTensor:
        return _ew.unary("real", self)

    @property
    def imag(self) -> QTensor:
        return _ew.unary("imag", self)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dimension."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def dim(self) -> int:
        return self.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ---------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (a copy when the backend is not on the host)."""
        return self._b.to_numpy(self._data)

    def to_numpy(self) -> np.ndarray:
        return self.numpy()

    def item(self) -> Any:
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor of one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._dtype.kind not in "bi":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ValueError("the truth value of a tensor with more than one element is "
                             "ambiguous; use .any() or .all()")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def __iter__(self) -> Iterator[QTensor]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="QTensor(", precision=4)
        extra = []
        if self._dtype.name not in ("float32", "int64", "bool"):
            extra.append(f"dtype={self._dtype.name}")
        if self._b.name != "numpy":
            extra.append(f"backend={self._b.name!r}")
        if self._node is not None:
            extra.append(f"grad_fn=<{self._node.name}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "QTensor(" + body + "".join(", " + e for e in extra) + ")"

    __str__ = __repr__
    __hash__ = object.__hash__

    # ---------------------------------------------------------------- autograd
    def requires_grad_(self, flag: bool = True) -> QTensor:
        """Mark a leaf tensor as needing gradients (float and complex dtypes only)."""
        if flag and self._dtype.kind not in "fc":
            raise TypeError(f"only float and complex tensors can require grad, not "
                            f"{self._dtype.name}")
        if not flag and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use "
                               "detach()")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after ``backward``."""
        self._retain = True

    def detach(self) -> QTensor:
        """The same data cut from the tape.

        Unlike PyTorch's, the result shares no memory with ``self`` (arrays are never written
        into), so in-place methods refuse it instead of silently leaving ``self`` unchanged.
        """
        t = QTensor._wrap(self._data, self._b, self._dtype)
        t._view = "detach"
        return t

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` defaults to ones for a one-element tensor (the usual scalar loss).
        """
        from .autograd.engine import run_backward

        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (is it "
                               "computed from tensors with requires_grad=True?)")
        if grad is None:
            if self.numel() != 1 and not any(h(self) for h in _IMPLICIT_GRAD_HOOKS):
                raise RuntimeError(f"grad can be implicitly created only for one-element "
                                   f"outputs; pass grad= for shape {self.shape}")
            g = self._b.full(self.shape, 1, self._dtype.name)
        else:
            gt = grad if isinstance(grad, QTensor) else QTensor(grad, backend=self._b)
            if gt.shape != self.shape:
                raise ValueError(f"grad has shape {gt.shape}, expected {self.shape}")
            g = gt._data
        run_backward([self], [g], retain_graph)

    def zero_grad(self) -> None:
        self.grad = None

    # ---------------------------------------------------------------- backends / dtypes
    def to(self, target: Any) -> QTensor:
        """Move to another array backend (by name) or cast to a dtype.

        ``to("gpu")`` moves the data into GPU memory (backend ``gpu``, the vqnet-gpu plugin);
        ``to("numpy")`` / ``to("cpu")`` back to the host. ``to("cpu")`` with no ``cpu``
        backend installed keeps host data where it is and moves device data to ``numpy``.
        The move is differentiable (the gradient moves back).

        >>> import vqnet_core as vq
        >>> vq.tensor([1.0, 2.0]).to("numpy").backend
        'numpy'
        """
        from .backend.registry import UnknownBackendError, get_backend

        if isinstance(target, DType) or (isinstance(target, str) and _is_dtype_name(target)):
            return self.astype(target)
        try:
            B = get_backend(target)
        except UnknownBackendError:
            if target != "cpu":
                raise
            if self._b.capabilities.device == "cpu":
                return self
            B = get_backend("numpy")
        if B is self._b:
            return self
        src = self._b

        def backward(g):
            return (src.from_numpy(B.to_numpy(g)),)
        from .ops._base import make
        return make(B.from_numpy(self.numpy()), B, self._dtype, (self,), backward, "to")

    def astype(self, dtype: Any) -> QTensor:
        return _ew.astype(self, dtype)

    type = astype

    def float(self) -> QTensor:
        return self.astype("float32")

    def double(self) -> QTensor:
        return self.astype("float64")

    def long(self) -> QTensor:
        return self.astype("int64")

    def int(self) -> QTensor:
        return self.astype("int32")

    def bool(self) -> QTensor:
        return self.astype("bool")

    def cfloat(self) -> QTensor:
        return self.astype("complex64")

    def cdouble(self) -> QTensor:
        return self.astype("complex128")

    def clone(self) -> QTensor:
        return _ew.binary("add", self, 0) if self._dtype.kind in "fc" else \
            QTensor._wrap(self._data, self._b, self._dtype)

    def contiguous(self) -> QTensor:
        return self

    # ---------------------------------------------------------------- in-place
    # Data arrays are never written into: an in-place method computes the new value with the
    # ordinary (recorded) ops from a stand-in holding the old value and tape node, then makes
    # this tensor hold the result. Ops that used the old value saved its array and its node
    # (Node.parents), so the tape stays right. ``_version`` counts the writes, so that values
    # saved *as tensors* (Function.save_for_backward) can tell they were overwritten.
    def _check_writable(self, op: str) -> None:
        from .autograd.engine import is_grad_enabled

        if self._view is not None:
            how = "detach() / .data" if self._view == "detach" else f"{self._view}()"
            raise RuntimeError(
                f"{op}: this tensor is a view made by {how}, and VQNet tensors never share "
                "memory, so an in-place write here would not reach the tensor it was taken "
                "from (PyTorch's would). Write into that tensor itself (x[index] = value, or "
                "x.mul_(...) under vq.no_grad() to bypass autograd), or clone() the view "
                "first if you only want a modified copy")
        if self.requires_grad and self._node is None and is_grad_enabled():
            raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be modified in "
                               "place outside no_grad()")

    def _old(self) -> QTensor:
        """A stand-in for the current value: same array, same tape node."""
        old = QTensor._wrap(self._data, self._b, self._dtype)
        old.requires_grad, old._node = self.requires_grad, self._node
        return old

    def _commit(self, new: QTensor, op: str) -> QTensor:
        """Make this tensor hold ``new`` (computed from :meth:`_old`); its node if recorded."""
        if new.shape != self.shape:
            raise RuntimeError(f"{op}: the result has shape {new.shape}, which does not match "
                               f"this tensor's shape {self.shape} (an in-place op cannot "
                               "change the shape)")
        if new._dtype is not self._dtype:
            new = new.astype(self._dtype)
        self._data = new._data
        self._version += 1
        if new._node is not None:  # recorded: the tape now ends at the new value
            self._node, self.requires_grad = new._node, True
        return self

    def _overwrite(self, data: Any, op: str) -> QTensor:
        """Replace every value with ``data``, which does not depend on the old values (the
        old value then gets a zero gradient, as in PyTorch)."""
        from .ops._base import make

        self._check_writable(op)
        B, dt, shape = self._b, self._dtype, self.shape
        new = make(data, B, dt, (self._old(),), lambda g: (B.full(shape, 0, dt.name),), op)
        return self._commit(new, op)

    def _assign(self, data: Any) -> QTensor:
        return self._overwrite(data, "in-place assignment")

    def fill_(self, value: Any) -> QTensor:
        if isinstance(value, QTensor):
            if value.numel() != 1:
                raise RuntimeError(f"fill_ takes a number or a one-element tensor, got a "
                                   f"tensor of shape {value.shape}")
            return self.copy_(value.reshape(()))
        return self._overwrite(self._b.full(self.shape, value, self._dtype.name), "fill_")

    def zero_(self) -> QTensor:
        return self._overwrite(self._b.full(self.shape, 0, self._dtype.name), "zero_")

    def copy_(self, src: Any) -> QTensor:
        from .ops._base import make, to_tensor, unbroadcast

        self._check_writable("copy_")
        B, dt, shape = self._b, self._dtype, self.shape
        s = src if isinstance(src, QTensor) else to_tensor(src, B, dt)
        if s._b is not B:
            s = s.to(B.name)
        s = s.astype(dt)
        try:
            ok = np.broadcast_shapes(s.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"copy_: the source of shape {s.shape} cannot be broadcast to "
                               f"this tensor's shape {shape}")
        sshape = s.shape
        data = B.broadcast_to(s._data, shape) if sshape != shape else s._data
        data = B.binary("add", data, 0)  # a fresh array, never a view of the source

        def backward(g):
            return B.full(shape, 0, dt.name), unbroadcast(B, g, sshape)
        return self._commit(make(data, B, dt, (self._old(), s), backward, "copy_"), "copy_")

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> QTensor:
        from .ops.creation import next_key
        return self._overwrite(self._b.random("uniform", next_key(), self.shape,
                                              self._dtype.name, a, b), "uniform_")

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> QTensor:
        from .ops.creation import next_key
        return self._overwrite(self._b.random("normal", next_key(), self.shape,
                                              self._dtype.name, mean, std), "normal_")

    def _binary_(self, op: str, other: Any, alpha: Any = 1) -> QTensor:
        name = op + "_"
        self._check_writable(name)
        o = _ew.binary("mul", other, alpha) if alpha != 1 else other
        return self._commit(_ew.binary(op, self._old(), o), name)

    def add_(self, other: Any, alpha: float = 1.0) -> QTensor:
        return self._binary_("add", other, alpha)

    def sub_(self, other: Any, alpha: float = 1.0) -> QTensor:
        return self._binary_("sub", other, alpha)

    def mul_(self, other: Any) -> QTensor:
        return self._binary_("mul", other)

    def div_(self, other: Any) -> QTensor:
        return self._binary_("div", other)

    def clamp_(self, min: Any = None, max: Any = None) -> QTensor:  # noqa: A002
        self._check_writable("clamp_")
        return self._commit(_ew.clip(self._old(), min, max), "clamp_")

    clip_ = clamp_

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, key: Any) -> QTensor:
        return _sh.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check_writable("item assignment (x[index] = value)")
        self._commit(_sh.index_put(self._old(), key, value), "item assignment")

    # ---------------------------------------------------------------- operators
    def __add__(self, o): return _ew.binary("add", self, o)
    def __radd__(self, o): return _ew.binary("add", o, self)
    def __sub__(self, o): return _ew.binary("sub", self, o)
    def __rsub__(self, o): return _ew.binary("sub", o, self)
    def __mul__(self, o): return _ew.binary("mul", self, o)
    def __rmul__(self, o): return _ew.binary("mul", o, self)
    def __truediv__(self, o): return _ew.binary("div", self, o)
    def __rtruediv__(self, o): return _ew.binary("div", o, self)
    def __floordiv__(self, o): return _ew.binary("floordiv", self, o)
    def __rfloordiv__(self, o): return _ew.binary("floordiv", o, self)
    def __mod__(self, o): return _ew.binary("remainder", self, o)
    def __rmod__(self, o): return _ew.binary("remainder", o, self)
    def __pow__(self, o): return _ew.binary("pow", self, o)
    def __rpow__(self, o): return _ew.binary("pow", o, self)
    def __matmul__(self, o): return _la.matmul(self, o)
    def __rmatmul__(self, o): return _la.matmul(o, self)
    def __neg__(self): return _ew.unary("neg", self)
    def __pos__(self): return self
    def __abs__(self): return _ew.unary("abs", self)
    def __invert__(self): return _ew.unary("logical_not", self)
    def __and__(self, o): return _ew.binary("logical_and", self, o)
    def __or__(self, o): return _ew.binary("logical_or", self, o)
    def __xor__(self, o): return _ew.binary("logical_xor", self, o)
    def __eq__(self, o): return _ew.binary("eq", self, o)  # type: ignore[override]
    def __ne__(self, o): return _ew.binary("ne", self, o)  # type: ignore[override]
    def __lt__(self, o): return _ew.binary("lt", self, o)
    def __le__(self, o): return _ew.binary("le", self, o)
    def __gt__(self, o): return _ew.binary("gt", self, o)
    def __ge__(self, o): return _ew.binary("ge", self, o)


#: Functions ``hook(tensor) -> bool``: a true answer lets ``backward()`` on a tensor of more
#: than one element seed a gradient of ones (the pyvqnet compatibility layer registers one
#: that answers true only for graphs built from its own QTensors).
_IMPLICIT_GRAD_HOOKS: list = []


def _is_dtype_name(name: str) -> bool:
    try:
        as_dtype(name)
        return True
    except TypeError:
        return False


# Imported last: the op modules import QTensor from here.
from .ops import elementwise as _ew  # noqa: E402
from .ops import functions as _fn  # noqa: E402
from .ops import linalg as _la  # noqa: E402
from .ops import shape as _sh  # noqa: E402

# Plain functions bind as methods: x.exp() calls functions.exp(x) with no wrapper in between.
for _name in _fn.TENSOR_METHODS:
    setattr(QTensor, _name, getattr(_fn, _name))
