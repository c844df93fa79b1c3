"""Without a GPU: the plugin imports, says why the backend cannot run, and errors clearly."""

from __future__ import annotations

import pytest
import vqnet_gpu
from vqnet_gpu import _device

import vqnet_core as vq
from vqnet_core.backend import BackendUnavailableError


@pytest.fixture
def no_gpu():
    if vqnet_gpu.is_available():
        pytest.skip("this machine has a usable GPU: the unavailable paths are not reachable")


def test_import_never_needs_a_gpu():
    st = vqnet_gpu.device_status()
    assert isinstance(st.available, bool)
    assert st.available or st.reason


def test_set_backend_raises_with_reason_and_remedy(no_gpu):
    with pytest.raises(BackendUnavailableError) as info:
        vq.set_backend("gpu")
    msg = str(info.value)
    assert "array backend 'gpu' is unavailable" in msg
    assert vqnet_gpu.device_status().reason in msg
    assert 'pip install "vqnet-gpu[cuda13]"' in msg and '"numpy" or "cpu"' in msg
    assert vq.get_backend().name != "gpu"  # the active backend is unchanged


def test_tensor_to_gpu_raises(no_gpu):
    with pytest.raises(BackendUnavailableError, match="unavailable"):
        vq.ones(2).to("gpu")


def test_info_lists_gpu_as_unavailable(no_gpu):
    from vqnet_core.cli import collect_info

    info = collect_info()
    row = next(r for r in info["array_backends"] if r["name"] == "gpu")
    assert row["distribution"] == "vqnet-gpu"
    assert row["status"].startswith("unavailable: ")
    assert vqnet_gpu.device_status().reason in row["status"]
    assert "unavailable" in info["plugins"]["vqnet-gpu"]


def test_pyvqnet_to_gpu_names_the_reason(no_gpu):
    from vqnet_core.compat.pyvqnet import tensor

    t = tensor.to_tensor([1.0, 2.0])
    with pytest.raises(BackendUnavailableError, match="no GPU array backend is available here"):
        t.toGPU()


@pytest.mark.parametrize("raised, want", [
    (ImportError("No module named 'cupy'"), "CuPy is not installed"),
    (OSError("libcudart.so.13: cannot open shared object file"), "CuPy failed to import"),
])
def test_reason_when_cupy_does_not_import(monkeypatch, raised, want):
    def fail():
        raise raised
    monkeypatch.setattr(_device, "_cupy", fail)
    _device.probe.cache_clear()
    try:
        st = _device.probe()
        assert not st.available and st.reason.startswith(want) and str(raised) in st.reason
        assert want in _device.unavailable_message(st)
    finally:
        _device.probe.cache_clear()


def test_reason_with_cupy_but_no_driver():
    """With CuPy installed on a machine without a CUDA driver (this CI), the reason is the
    driver's, as CuPy's runtime reports it."""
    try:
        import cupy
    except ImportError:
        pytest.skip("CuPy is not installed here")
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # noqa: BLE001
        n = None
    if n:
        pytest.skip("this machine has a CUDA device")
    st = _device.probe()
    assert not st.available
    assert st.reason.startswith(("the CUDA driver is missing", "no CUDA device",
                                 "CUDA could not be initialised")), st.reason
