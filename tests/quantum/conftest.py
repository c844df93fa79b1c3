"""Shared helpers of the quantum tests: random circuits covering the whole gate set."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import GATES, Circuit, Operation, ParamRef


def random_circuit(rng: np.random.Generator, n: int, num_ops: int, names=None,
                   const_prob: float = 0.3):
    """(Circuit, reference ops, number of angle columns); every gate of ``names`` appears."""
    names = list(names or GATES)
    order = names + [names[i] for i in rng.integers(len(names), size=max(0, num_ops - len(names)))]
    ops, ref, S = [], [], 0
    for name in order:
        g = GATES[name]
        k = g.num_wires or int(rng.integers(max(g.min_wires, 1), n + 1))
        if k > n:
            continue
        wires = tuple(int(w) for w in rng.permutation(n)[:k])
        params, rparams = [], []
        for _ in range(g.num_params):
            if rng.random() < const_prob:
                v = float(rng.uniform(-np.pi, np.pi))
                params.append(v)
                rparams.append(("c", v))
            else:
                params.append(ParamRef(S))
                rparams.append(("a", S))
                S += 1
        mat = None
        if name == "QubitUnitary":
            a = rng.standard_normal((2**k, 2**k)) + 1j * rng.standard_normal((2**k, 2**k))
            mat, _ = np.linalg.qr(a)
        ops.append(Operation(name, wires, tuple(params), mat))
        ref.append((name, wires, rparams, mat))
    return Circuit(n, ops), ref, S


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
