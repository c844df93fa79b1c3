"""Capability checks: an undeclared dtype or kernel is a skip with the reason, never a pass."""

from __future__ import annotations

from typing import Any

import pytest

from ..compare import COMPLEX_DTYPES


def require_dtype(B: Any, *dtypes: str) -> None:
    """Skip unless backend ``B`` declares every dtype in ``dtypes``."""
    for d in dtypes:
        if d not in B.capabilities.dtypes:
            pytest.skip(f"backend {B.name!r} does not declare dtype {d} in capabilities.dtypes")
        if d in COMPLEX_DTYPES and not B.capabilities.complex:
            pytest.skip(f"backend {B.name!r} declares capabilities.complex=False")


def require_kernel(B: Any, name: str) -> Any:
    """The kernel ``name`` of ``B``, or a skip when it is not declared."""
    if name not in B.capabilities.kernels:
        pytest.skip(f"backend {B.name!r} does not declare the optional kernel {name!r}")
    k = B.kernel(name)
    if k is None:
        raise AssertionError(f"backend {B.name!r} declares kernel {name!r} in "
                             f"capabilities.kernels but B.kernel({name!r}) returned None "
                             f"(define a method k_{name})")
    return k
