"""pyvqnet's ``pyvqnet.tensor``: ``from ...tensor import tensor, QTensor``.

``tensor`` is the module of functions (``tensor.flatten(x, 1)``), ``QTensor`` the class.
"""

from . import tensor  # noqa: F401
from .tensor import *  # noqa: F401,F403
from .tensor import QTensor, kbool, kcomplex64, kcomplex128, kfloat32, kfloat64, kint32, kint64  # noqa: F401
