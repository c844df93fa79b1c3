"""Optimizers, learning-rate schedulers and gradient clipping (PyTorch's interfaces).

>>> import vqnet_core as vq
>>> from vqnet_core import optim
>>> w = vq.tensor([1.0, 2.0], requires_grad=True)
>>> opt = optim.Adam([w], lr=0.01)
>>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
"""

from . import lr_scheduler
from .adam import Adam, Adamax, AdamW, adam_step_reference
from .adaptive import Adadelta, Adagrad, RMSProp, RMSprop
from .clip import clip_grad_norm_, clip_grad_value_
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)
from .optimizer import Optimizer
from .sgd import SGD, sgd_step_reference

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "RMSProp", "RMSprop",
    "lr_scheduler", "LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
    "LambdaLR", "ReduceLROnPlateau", "clip_grad_norm_", "clip_grad_value_",
    "sgd_step_reference", "adam_step_reference",
]
