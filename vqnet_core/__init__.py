"""VQNet core: QTensor with autograd, array-backend and machine protocols, nn, optim, data.

>>> import vqnet_core as vq
>>> x = vq.tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad.tolist()
[2.0, 4.0]
"""

from __future__ import annotations

__version__ = "0.1.0"

# QTensor must be imported before anything else: the op modules import it from .tensor,
# and tensor.py imports the op modules at its end. Keep the import sorter away from it.
from .tensor import QTensor  # noqa: F401  # isort: skip

# isort: split
# ``vq.backend`` is the subpackage, callable as the context manager ``vq.backend(name)``
from . import (
    autograd,  # noqa: F401
    backend,  # noqa: F401
)
from .autograd import Function, enable_grad, grad, no_grad, set_grad_enabled  # noqa: F401
from .backend import available_backends, get_backend, set_backend  # noqa: F401
from .dtypes import (  # noqa: F401
    DType,
    as_dtype,
    bool_,
    complex64,
    complex128,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    promote_types,
    set_default_dtype,
)
from .ops.functions import *  # noqa: F401,F403
from .ops.functions import TENSOR_METHODS as _TM  # noqa: F401

# pyvqnet spellings of the dtypes
kbool, kint32, kint64 = bool_, int32, int64
kfloat32, kfloat64, kcomplex64, kcomplex128 = float32, float64, complex64, complex128
Tensor = QTensor

# The subpackages are attributes (``vq.nn``, ``vq.optim``, ...) as in PyTorch, but imported on
# first use: ``import vqnet_core`` stays as cheap as the tensor core.
_SUBPACKAGES = frozenset({"cli", "data", "distributed", "hooks", "nn", "optim", "qnn", "quantum",
                          "utils"})


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBPACKAGES)
