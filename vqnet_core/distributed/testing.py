"""A pytest plugin for test suites run under ``mpiexec -n N python -m pytest``.

    mpiexec -n 2 python -m pytest -p vqnet_core.distributed.testing tests/

* a test that fails on one rank prints its report to stderr and aborts the whole job
  (``MPI_Abort``): the other ranks would otherwise wait forever in their next collective;
* ranks other than 0 report quietly (``-q -q``), so that the job prints one summary.

With one process the plugin does nothing.
"""

from __future__ import annotations

import sys
from typing import Any

from .group import abort, init, rank, world_size

__all__ = ["pytest_configure", "pytest_runtest_logreport"]


def pytest_configure(config: Any) -> None:
    init()
    if world_size() > 1 and rank() > 0:
        config.option.verbose = -2


def pytest_runtest_logreport(report: Any) -> None:
    if not report.failed or world_size() == 1:
        return
    sys.stderr.write(f"\n[vqnet.distributed] rank {rank()} of {world_size()}: {report.nodeid} "
                     f"failed ({report.when}); aborting the job\n{report.longreprtext}\n")
    abort(1)
