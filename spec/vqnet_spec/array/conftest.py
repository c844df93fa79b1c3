"""Every array test runs with the backend under test active (``vqnet_core.backend(...)``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def vqnet_active_backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Activate the backend under test for the duration of one test."""
    # run with --pyargs from outside the rootdir, pytest scopes this conftest to every test
    # (machine/ too): act on the array tests only, or the machine tests would all skip
    if Path(__file__).parent not in Path(str(request.node.path)).parents:
        yield None
        return
    import vqnet_core

    with vqnet_core.backend(request.getfixturevalue("vqnet_backend")) as B:
        yield B
