"""pyvqnet's ``pyvqnet.optim``: the core optimizers with pyvqnet's arguments and ``_step()``.

>>> import vqnet_core as vq
>>> from vqnet_core.compat.pyvqnet.optim import Adam
>>> w = vq.nn.Parameter(vq.ones(2))
>>> opt = Adam([w], lr=0.1)
>>> (w * w).sum().backward(); opt._step(); [round(v, 2) for v in w.tolist()]
[0.9, 0.9]
"""

from . import adam, sgd  # noqa: F401
from ._base import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, RMSProp  # noqa: F401
