"""Fixtures of the quantum-machine tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def machine(vqnet_machine: Any) -> Any:
    """The quantum machine under test (skips without ``--vqnet-machine`` or a registry, and
    when the machine reports ``available = False``, e.g. a GPU machine without a device)."""
    if getattr(vqnet_machine, "available", True) is False:
        pytest.skip(f"machine {getattr(vqnet_machine, 'name', '?')!r} is not available here: "
                    f"{getattr(vqnet_machine, 'unavailable_reason', '') or 'no reason given'}")
    return vqnet_machine
