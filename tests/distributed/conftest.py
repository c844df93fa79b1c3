"""The distributed tests run as plain pytest (one process) and under
``mpiexec -n 2 python -m pytest tests/distributed`` (``nox -s distributed``): each test reads
the size of the group and checks what holds at that size. A failure on one rank aborts the
job (vqnet_core.distributed.testing) instead of leaving the other rank waiting."""

import pytest

from vqnet_core.distributed.testing import pytest_configure as _dist_configure
from vqnet_core.distributed.testing import pytest_runtest_logreport  # noqa: F401


def pytest_configure(config):
    _dist_configure(config)


@pytest.fixture
def dist():
    from vqnet_core import distributed

    distributed.init()
    return distributed
