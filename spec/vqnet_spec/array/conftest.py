"""Every array test runs with the backend under test active (``vqnet_core.backend(...)``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def vqnet_active_backend(vqnet_backend: Any) -> Iterator[Any]:
    """Activate the backend under test for the duration of one test."""
    import vqnet_core

    with vqnet_core.backend(vqnet_backend) as B:
        yield B
