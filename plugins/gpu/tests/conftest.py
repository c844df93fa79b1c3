"""Fixtures of vqnet-gpu's tests: ``gpu`` skips with the reason when this machine has no usable
GPU; ``emulated`` is the host emulation (the same Python code on NumPy), which runs anywhere."""

from __future__ import annotations

import pytest
import vqnet_gpu


@pytest.fixture(scope="session")
def gpu():
    """The ``gpu`` backend, or a skip saying why this machine cannot run it."""
    if not vqnet_gpu.is_available():
        pytest.skip(vqnet_gpu.unavailable_reason())
    from vqnet_core.backend import get_backend
    return get_backend("gpu")


@pytest.fixture(scope="session")
def emulated():
    from vqnet_core.backend import get_backend
    return get_backend("gpu-emulated")
