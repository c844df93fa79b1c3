"""Fixtures of the quantum-machine tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def machine(vqnet_machine: Any) -> Any:
    """The quantum machine under test (skips without ``--vqnet-machine`` or a registry)."""
    return vqnet_machine
