"""pyvqnet's surface over the VQNet core: change ``pyvqnet`` to ``vqnet_core.compat.pyvqnet``
in the imports and pyvqnet (and VQNet 2.0 paper) code runs.

The layer mirrors pyvqnet's module paths -- ``tensor`` (``tensor`` and ``QTensor``), ``nn``
(``module``, ``loss``, ``conv``, ``linear``, ``pooling``, ``activation``...), ``optim``
(``adam``, ``sgd``...), ``qnn`` (``quantumlayer``, ``template``, ``measure``, ``utils``),
``data`` and ``utils`` -- and keeps pyvqnet's conventions where they differ from the core's
(PyTorch's): its losses are called ``loss(target, output)``, optimizers have ``_step()``,
``QuantumLayer`` runs a pyqpanda program. Everything returns ordinary VQNet tensors and
modules, so the two styles mix. ``docs/from-pyvqnet.md`` lists the mapping and what is missing.

>>> from vqnet_core.compat.pyvqnet.tensor import QTensor
>>> from vqnet_core.compat.pyvqnet.nn.loss import BinaryCrossEntropy
>>> y = QTensor([[0.0, 1.0, 0], [0.0, 0, 1]])
>>> x = QTensor([[0.3, 0.7, 0.2], [0.2, 0.3, 0.1]], requires_grad=True)
>>> round(BinaryCrossEntropy()(y, x).item(), 4)
0.6365
"""

from __future__ import annotations

from . import tensor  # noqa: F401  (installs pyvqnet's tensor methods)
from .tensor.tensor import (  # noqa: F401
    DEV_CPU,
    DEV_GPU_0,
    kbool,
    kcomplex64,
    kcomplex128,
    kfloat32,
    kfloat64,
    kint32,
    kint64,
)

__version__ = "2.0-compat"

_SUBPACKAGES = frozenset({"nn", "optim", "qnn", "data", "utils"})


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
