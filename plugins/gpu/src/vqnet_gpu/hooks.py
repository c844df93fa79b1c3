"""vqnet-gpu's answers to the core's pluggy hooks (``vqnet info``)."""

from __future__ import annotations

from typing import Any

from vqnet_core.hooks import distribution_versions, hookimpl


@hookimpl
def vqnet_info() -> dict[str, Any]:
    """The GPU the ``gpu`` backend would use, or why it cannot run here."""
    from ._device import probe

    st = probe()
    libs = distribution_versions("cupy-cuda12x", "cupy-cuda13x", "cupy")
    found = ", ".join(f"{k} {v}" for k, v in libs.items() if v != "not installed") or "no CuPy"
    if st.available:
        where = (f"{st.device_name} ({st.device_count} device(s), CUDA runtime "
                 f"{st.runtime_version}, driver {st.driver_version})")
    else:
        where = f"unavailable: {st.reason}"
    return {"vqnet-gpu": f"{where}; {found}"}
