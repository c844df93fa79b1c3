"""The RawKernel cache of the ``gpu`` backend: one ``cupy.RawModule`` per real type, compiled
(NVRTC, through CuPy) on first use and kept for the process."""

from __future__ import annotations

from typing import Any

from ._cuda_src import source, suffix


class CudaKernels:
    """``fn(name, real)`` -> the compiled ``cupy.RawKernel`` ``name_f32`` / ``name_f64``."""

    def __init__(self, cupy: Any) -> None:
        self.cupy = cupy
        self._modules: dict[str, Any] = {}
        self._fns: dict[tuple[str, str], Any] = {}

    def fn(self, name: str, real: str) -> Any:
        key = (name, real)
        f = self._fns.get(key)
        if f is None:
            mod = self._modules.get(real)
            if mod is None:
                mod = self.cupy.RawModule(code=source(real), options=("-std=c++17",))
                self._modules[real] = mod
            f = mod.get_function(f"{name}_{suffix(real)}")
            self._fns[key] = f
        return f
