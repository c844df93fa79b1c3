"""pyvqnet's optimizer spellings over the core optimizers."""

from __future__ import annotations

from typing import Any

from vqnet_core import optim as _optim


def _pyvqnet(cls: type, doc: str) -> type:
    """A subclass of ``cls`` with pyvqnet's ``_step()`` (the paper's spelling of ``step``)."""

    def _step(self) -> Any:
        return self.step()
    return type(cls.__name__, (cls,), {"_step": _step, "__doc__": doc,
                                       "__module__": "vqnet_core.compat.pyvqnet.optim"})


_Adam = _pyvqnet(_optim.Adam, "")
_AdamW = _pyvqnet(_optim.AdamW, "")
_Adamax = _pyvqnet(_optim.Adamax, "")


class Adam(_Adam):
    """pyvqnet's ``Adam(params, lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8,
    weight_decay=0, amsgrad=False)``; ``_step()`` is ``step()``."""

    def __init__(self, params: Any, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=(beta1, beta2), eps=epsilon,
                         weight_decay=weight_decay, amsgrad=amsgrad)


class AdamW(_AdamW):
    """pyvqnet's ``AdamW(params, lr=0.01, beta1, beta2, epsilon, weight_decay=0.01)``."""

    def __init__(self, params: Any, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.01, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=(beta1, beta2), eps=epsilon,
                         weight_decay=weight_decay, amsgrad=amsgrad)


class Adamax(_Adamax):
    """pyvqnet's ``Adamax(params, lr=0.01, beta1, beta2, epsilon)``."""

    def __init__(self, params: Any, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8) -> None:
        super().__init__(params, lr=lr, betas=(beta1, beta2), eps=epsilon)


SGD = _pyvqnet(_optim.SGD, "pyvqnet's ``SGD(params, lr=0.01, momentum=0, nesterov=False)``; "
               "``_step()`` is ``step()``.")
Adagrad = _pyvqnet(_optim.Adagrad, "``Adagrad`` with ``_step()``.")
Adadelta = _pyvqnet(_optim.Adadelta, "``Adadelta`` with ``_step()``.")
RMSProp = _pyvqnet(_optim.RMSProp, "``RMSProp`` with ``_step()``.")
