"""vqnet-gpu: VQNet's CUDA array backend on CuPy, with RawKernels for the state vector.

Installing the distribution registers the array backend ``gpu`` (and ``gpu-emulated``, a
test mode: the same Python code on NumPy). ``import vqnet_gpu`` never needs a GPU; selecting
the backend does::

    >>> import vqnet_gpu
    >>> st = vqnet_gpu.device_status()
    >>> st.available or "unavailable" in vqnet_gpu.unavailable_reason()
    True

On a machine with a device, ``vqnet_core.set_backend("gpu")`` keeps QTensor data in GPU
memory (``tensor.to("gpu")`` / ``module.to("gpu")`` move it there); without one it raises
``BackendUnavailableError`` saying why.
"""

from __future__ import annotations

from ._backend import KERNELS, GpuBackend, HostEmulationBackend
from ._device import DeviceStatus, probe, unavailable_message

__version__ = "0.1.0"
__all__ = ["GpuBackend", "HostEmulationBackend", "KERNELS", "DeviceStatus", "device_status",
           "is_available", "unavailable_reason", "__version__"]


def device_status() -> DeviceStatus:
    """What CuPy and the CUDA driver say about this machine (cached per process)."""
    return probe()


def is_available() -> bool:
    """Whether the ``gpu`` backend can run here (CuPy imports and sees a CUDA device).

    >>> isinstance(is_available(), bool)
    True
    """
    return probe().available


def unavailable_reason() -> str:
    """The error text ``set_backend("gpu")`` raises here, or ``""`` when a GPU is usable."""
    st = probe()
    return "" if st.available else unavailable_message(st)
