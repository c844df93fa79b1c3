"""The bad-input tests run on each array backend: numpy always, cpu where vqnet-cpu is
installed (skipped otherwise)."""

import pytest

import vqnet_core as vq


@pytest.fixture(params=["numpy", "cpu"])
def backend(request):
    if request.param == "cpu":
        pytest.importorskip("vqnet_cpu")
    with vq.backend(request.param):
        yield request.param
