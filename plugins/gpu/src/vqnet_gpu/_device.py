"""Whether this machine can run the ``gpu`` backend, and why not.

Nothing here imports CuPy at module import; :func:`probe` does, once, and remembers the
answer. The reasons are the three ways a machine lacks a usable GPU: CuPy is not installed
(or fails to import), CuPy finds no CUDA driver (or one too old for its runtime), or the
driver sees no device.

>>> from vqnet_gpu._device import probe
>>> st = probe()
>>> isinstance(st.available, bool) and (st.available or bool(st.reason))
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

#: What to do when the backend is unavailable (appended to every reason).
HINT = ('the "gpu" backend needs an NVIDIA GPU with its driver and CuPy for that CUDA major: '
        'pip install "vqnet-gpu[cuda13]" (or [cuda12]); use "numpy" or "cpu" elsewhere')


@dataclass(frozen=True)
class DeviceStatus:
    """The answer of :func:`probe`: ``available``, else ``reason`` says why not."""

    available: bool
    reason: str = ""
    cupy_version: str = ""
    device_name: str = ""
    device_count: int = 0
    runtime_version: int = 0
    driver_version: int = 0


def _cupy() -> Any:
    import cupy
    return cupy


@functools.lru_cache(maxsize=1)
def probe() -> DeviceStatus:
    """Import CuPy and ask the CUDA driver for a device (cached: the answer is per process)."""
    try:
        cupy = _cupy()
    except ImportError as exc:
        return DeviceStatus(False, f"CuPy is not installed ({exc})")
    except Exception as exc:  # noqa: BLE001  a broken CuPy install is a reason, not a crash
        return DeviceStatus(False, f"CuPy failed to import: {type(exc).__name__}: {exc}")
    ver = getattr(cupy, "__version__", "?")
    rt = cupy.cuda.runtime
    try:
        count = int(rt.getDeviceCount())
    except Exception as exc:  # noqa: BLE001  CUDARuntimeError: no / old driver
        msg = str(exc)
        low = msg.lower()
        if "insufficientdriver" in low.replace(" ", "") or "driver version is insufficient" in low:
            why = "the CUDA driver is missing or too old for CuPy's CUDA runtime"
        elif "nodevice" in low.replace(" ", "") or "no cuda-capable device" in low:
            why = "no CUDA device is present"
        else:
            why = "CUDA could not be initialised"
        return DeviceStatus(False, f"{why} (CuPy {ver}: {msg})", cupy_version=ver)
    if count < 1:
        return DeviceStatus(False, f"no CUDA device is present (CuPy {ver})", cupy_version=ver)
    try:
        props = rt.getDeviceProperties(0)
        name = props.get("name", b"?")
        name = name.decode() if isinstance(name, bytes) else str(name)
        runtime, driver = int(rt.runtimeGetVersion()), int(rt.driverGetVersion())
    except Exception as exc:  # noqa: BLE001
        return DeviceStatus(False, f"CUDA device 0 cannot be queried: {type(exc).__name__}: "
                                   f"{exc}", cupy_version=ver, device_count=count)
    return DeviceStatus(True, "", ver, name, count, runtime, driver)


def unavailable_message(status: DeviceStatus | None = None) -> str:
    """The error text of an unavailable ``gpu`` backend: the reason, then what to do."""
    st = status or probe()
    return f"array backend 'gpu' is unavailable: {st.reason}. To use it: {HINT}"
