"""pyvqnet-named parameters on the core layers (``layer.weights``)."""

from __future__ import annotations

from vqnet_core import nn as _nn


def _with_weights(cls: type) -> type:
    """A subclass of ``cls`` whose ``weights`` attribute is its ``weight`` (pyvqnet's name)."""

    def _get(self):
        return self.weight

    def _set(self, value) -> None:
        self.weight = value
    sub = type(cls.__name__, (cls,), {"weights": property(_get, _set, doc="pyvqnet's name "
                                                          "for ``weight``"),
                                      "__module__": cls.__module__,
                                      "__doc__": cls.__doc__})
    return sub


Linear = _with_weights(_nn.Linear)
Conv1D = _with_weights(_nn.Conv1D)
Conv2D = _with_weights(_nn.Conv2D)
ConvT2D = _with_weights(_nn.ConvT2D)
Embedding = _with_weights(_nn.Embedding)
