"""The core layers under pyvqnet's parameter names: ``layer.weights``, and pyvqnet's keys in
``state_dict`` (``weights``; ``gamma`` / ``beta`` / ``global_mean`` / ``global_variance`` for the
normalization layers), so that state dicts move between pyvqnet and this layer by name."""

from __future__ import annotations

from typing import Any

from vqnet_core import nn as _nn


def _renamed(cls: type, state_names: dict[str, str | None], weights: bool = True) -> type:
    """A subclass of ``cls`` with pyvqnet's state_dict names (and, for layers with a
    ``weight``, pyvqnet's attribute ``weights`` for it)."""
    ns: dict = {"_state_names": state_names, "__module__": cls.__module__,
                "__doc__": cls.__doc__, "__qualname__": cls.__qualname__}
    if weights:
        def _get(self):
            return self.weight

        def _set(self, value) -> None:
            self.weight = value
        ns["weights"] = property(_get, _set, doc="pyvqnet's name for ``weight``")
    return type(cls.__name__, (cls,), ns)


_WEIGHTS = {"weight": "weights"}
# pyvqnet keeps no batch counter (its running statistics always use the momentum)
_NORM = {"weight": "gamma", "bias": "beta", "running_mean": "global_mean",
         "running_var": "global_variance", "num_batches_tracked": None}

Linear = _renamed(_nn.Linear, _WEIGHTS)
Conv1D = _renamed(_nn.Conv1D, _WEIGHTS)
Conv2D = _renamed(_nn.Conv2D, _WEIGHTS)
ConvT2D = _renamed(_nn.ConvT2D, _WEIGHTS)
Embedding = _renamed(_nn.Embedding, _WEIGHTS)


def _pyvqnet_batch_norm(core: type) -> type:
    """``core`` with pyvqnet's constructor: ``(channel_num, momentum, epsilon, affine,
    beta_initializer, gamma_initializer, dtype, name)``, and pyvqnet's momentum, which weighs
    the running value (``running = momentum * running + (1 - momentum) * batch``; torch's and
    the core's weigh the batch), with the biased batch variance (torch's is unbiased)."""
    renamed = _renamed(core, _NORM, weights=False)

    def __init__(self, channel_num: int, momentum: float = 0.1, epsilon: float = 1e-5,
                 affine: bool = True, beta_initializer: Any = None,
                 gamma_initializer: Any = None, dtype: Any = None, name: str = "") -> None:
        renamed.__init__(self, channel_num, eps=epsilon, momentum=1.0 - float(momentum),
                         affine=affine, dtype=dtype, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, name=name)
    return type(core.__name__, (renamed,), {"__init__": __init__, "__doc__": core.__doc__,
                                            "__module__": core.__module__,
                                            "_unbiased_running_var": False})


BatchNorm1d = _pyvqnet_batch_norm(_nn.BatchNorm1d)
BatchNorm2d = _pyvqnet_batch_norm(_nn.BatchNorm2d)
LayerNorm = _renamed(_nn.LayerNorm, _NORM, weights=False)
GroupNorm = _renamed(_nn.GroupNorm, _NORM, weights=False)
BatchNorm1D, BatchNorm2D = BatchNorm1d, BatchNorm2d
