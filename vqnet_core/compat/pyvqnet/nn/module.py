"""pyvqnet's ``nn.module``: ``Module`` (with ``toGPU`` / ``toCPU``) and ``Parameter``."""

from __future__ import annotations

from typing import Any

from vqnet_core.nn.module import Module as _CoreModule
from vqnet_core.nn.module import ModuleDict, ModuleList, ParameterList, Sequential  # noqa: F401
from vqnet_core.nn.module import Parameter as _CoreParameter

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList"]


def _gpu_name() -> str:
    from ..tensor.tensor import _require_gpu
    return _require_gpu()


class Module(_CoreModule):
    """:class:`vqnet_core.nn.Module` plus pyvqnet's device methods."""

    def toGPU(self, device: Any = 1000) -> Module:  # noqa: N802
        return self.to(_gpu_name())

    def toCPU(self) -> Module:  # noqa: N802
        return self.to("numpy")


def Parameter(shape: Any = None, initializer: Any = None, device: Any = 0,  # noqa: N802
              dtype: Any = None, name: str = "", requires_grad: bool = True) -> _CoreParameter:
    """pyvqnet's ``Parameter(shape, initializer=normal)``: a new trainable tensor of ``shape``
    (an int or a tuple) filled by ``initializer(shape)``; a tensor is wrapped as it is."""
    import vqnet_core as vq
    if shape is None or hasattr(shape, "shape"):
        return _CoreParameter(shape, requires_grad=requires_grad, dtype=dtype)
    shp = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
    data = initializer(shp) if initializer is not None else vq.normal(shp, dtype=dtype)
    return _CoreParameter(data, requires_grad=requires_grad, dtype=dtype)
