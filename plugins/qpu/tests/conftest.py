"""Shared helpers of vqnet-qpu's tests: seeded random circuits."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import Circuit, Operation, ParamRef

ONE = ("RX", "RY", "RZ", "H", "SX", "S")
TWO = ("CNOT", "CZ")


def random_circuit(rng: np.random.Generator, n: int, num: int) -> tuple[Circuit, int]:
    """``num`` gates on ``n`` wires (rotations take angle columns), every wire used."""
    ops, S = [], 0
    for w in range(n):  # start away from |0...0>
        ops.append(Operation("RY", (w,), (ParamRef(S),)))
        S += 1
    for _ in range(num):
        if n > 1 and rng.random() < 0.4:
            a, b = rng.choice(n, 2, replace=False)
            ops.append(Operation(str(rng.choice(TWO)), (int(a), int(b))))
        else:
            g = str(rng.choice(ONE))
            w = int(rng.integers(n))
            if g in ("RX", "RY", "RZ"):
                ops.append(Operation(g, (w,), (ParamRef(S),)))
                S += 1
            else:
                ops.append(Operation(g, (w,)))
    return Circuit(n, ops), S


@pytest.fixture
def make_circuit():
    """:func:`random_circuit`, for the tests."""
    return random_circuit
