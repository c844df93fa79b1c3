"""Shots are honest: samples follow the exact distribution, seeds reproduce and vary them,
and shot estimates carry shot noise. Every bound has false-failure probability at most
``reference.FALSE_FAILURE`` (1e-6) per comparison, and the seeds are fixed, so a correct
seeded machine passes every run; nothing depends on the machine's speed.

    pytest --pyargs vqnet_spec.machine.test_shots --vqnet-machine NAME
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from vqnet_core.quantum import Circuit, Expval, Operation, ParamRef, Probs, Sample

from .basics import depends
from .reference import (
    FALSE_FAILURE,
    SPREAD_RATIO,
    SPREAD_SEEDS,
    SPREAD_SHOTS,
    Reference,
    tvd_bound,
)
from .test_machine import _needs, _np

SAMPLE_SHOTS = 20000


def _op(name, wires, *params):
    return Operation(name, tuple(wires), tuple(params))


def _rotations():
    """Three wires, an uneven distribution (needs RY, RZ, CNOT, H)."""
    P = ParamRef
    ops = [_op("RY", [0], P(0)), _op("RY", [1], P(1)), _op("CNOT", [0, 2]),
           _op("RY", [2], P(2)), _op("H", [1]), _op("RZ", [1], P(3)), _op("CNOT", [1, 0])]
    return Circuit(3, ops), np.array([[0.7, 2.1, -1.3, 0.4], [2.6, -0.5, 0.9, 1.7]]), \
        ("RY", "RZ", "CNOT", "H"), ("RY", "H")


def _clifford():
    """Three wires, Clifford gates only (a stabilizer machine runs it): outcomes 011 / 101 /
    and the wire-2 coin, unequal per wire."""
    ops = [_op("H", [0]), _op("CNOT", [0, 1]), _op("X", [1]), _op("H", [2]),
           _op("CNOT", [2, 0])]
    return Circuit(3, ops), np.zeros((1, 0)), ("H", "CNOT", "X"), ("H",)


CIRCUITS = {"rotations": _rotations, "clifford": _clifford}
WIRES = {"all": None, "2,0": (2, 0), "1": (1,)}


def _counts(samples: np.ndarray, k: int) -> np.ndarray:
    """``[B, shots, k]`` bits -> ``[B, 2^k]`` frequencies (first bit most significant)."""
    idx = samples @ (1 << np.arange(k - 1, -1, -1))
    return np.stack([np.bincount(r, minlength=2**k) for r in idx]) / samples.shape[1]


@pytest.mark.parametrize("wires", list(WIRES))
@pytest.mark.parametrize("circuit", list(CIRCUITS))
def test_sample_distribution(machine, circuit, wires):
    """The empirical distribution of ``Sample`` is within a TVD bound of the exact one."""
    c, a, gates, basics = CIRCUITS[circuit]()
    _needs(machine, kinds=("sample",), shots=True, gates=gates)
    depends(machine, *basics)
    ws = WIRES[wires]
    s = _np(machine.execute(c, a, [Sample(ws)], shots=SAMPLE_SHOTS, seed=17)[0])
    k = c.num_wires if ws is None else len(ws)
    assert s.shape == (a.shape[0], SAMPLE_SHOTS, k), f"Sample({ws}) has shape {s.shape}"
    assert set(np.unique(s).tolist()) <= {0, 1}, f"Sample({ws}) has values {np.unique(s)}"
    want = Reference().probs(c, a, ws)
    got = _counts(s.astype(np.int64), k)
    for b in range(a.shape[0]):
        tvd = 0.5 * float(np.abs(got[b] - want[b]).sum())
        bound = tvd_bound(want[b], SAMPLE_SHOTS)
        assert tvd <= bound, (
            f"Sample(wires={ws}) of the {circuit} circuit, angle row {b}: the {SAMPLE_SHOTS} "
            f"samples are distributed unlike the exact probabilities (total variation "
            f"{tvd:.4f} > {bound:.4f}, a bound a correct sampler exceeds with probability "
            f"< {FALSE_FAILURE:g})\n  sampled {np.round(got[b], 4).tolist()}\n  exact   "
            f"{np.round(want[b], 4).tolist()}")


def _coins():
    """Two fair coins: 4^shots equally likely sample arrays, so two seeds collide with
    probability 4^-64 at 64 shots."""
    return Circuit(2, [_op("H", [0]), _op("H", [1])]), np.zeros((2, 0))


def test_same_seed_same_shots(machine):
    _needs(machine, kinds=("sample",), shots=True, gates=("H",))
    depends(machine, "H")
    c, a = _coins()
    ms = [Sample()] + [m for m, k in ((Expval("Z0"), "expval"), (Probs([1]), "probs"))
                       if k in machine.capabilities.measurements]
    r1 = [_np(r) for r in machine.execute(c, a, ms, shots=64, seed=5)]
    r2 = [_np(r) for r in machine.execute(c, a, ms, shots=64, seed=5)]
    for m, x, y in zip(ms, r1, r2):
        assert np.array_equal(x, y), (f"seed=5 twice gave different {m!r} results (64 shots "
                                      "of H on [0]; H on [1]): a seed must reproduce the shots")


def test_different_seeds_differ(machine):
    _needs(machine, kinds=("sample",), shots=True, gates=("H",))
    depends(machine, "H")
    c, a = _coins()
    seeds = (1, 2, 3, 1234)
    got = {s: _np(machine.execute(c, a, [Sample()], shots=64, seed=s)[0]) for s in seeds}
    for i, s in enumerate(seeds):
        for t in seeds[i + 1:]:
            assert not np.array_equal(got[s], got[t]), (
                f"seeds {s} and {t} gave identical Sample() results (64 shots of two fair "
                f"coins: a coincidence has probability 4^-64); the machine ignores the seed "
                f"(a fixed internal seed?)")


def test_shot_noise_is_real(machine):
    """Shot estimates spread like shot noise over seeds: the sample variance of
    ``SPREAD_SEEDS`` estimates of ``<Z0>`` and ``P(wire 0 = 0)`` after ``H`` (per-shot
    variances 1 and 1/4) is within ``SPREAD_RATIO`` of ``sigma^2 / shots``."""
    _needs(machine, shots=True, gates=("H",))
    caps = machine.capabilities
    ms = [m for m, k in ((Expval("Z0"), "expval"), (Probs([0]), "probs"))
          if k in caps.measurements]
    if not ms:
        pytest.skip("machine declares neither expval nor probs")
    depends(machine, "H", "Expval Z")
    c = Circuit(1, [_op("H", [0])])
    runs = [[_np(r) for r in machine.execute(c, np.zeros((1, 0)), ms, shots=SPREAD_SHOTS,
                                             seed=100 + i)] for i in range(SPREAD_SEEDS)]
    lo, hi = SPREAD_RATIO
    for j, (m, var1) in enumerate(zip(ms, [1.0 if m.kind == "expval" else 0.25 for m in ms])):
        est = np.array([r[j].reshape(-1)[0] for r in runs])
        sigma2 = var1 / SPREAD_SHOTS
        ratio = float(np.var(est, ddof=1) / sigma2)
        what = (f"{m!r} with shots={SPREAD_SHOTS} after H on [0], seeds 100..."
                f"{100 + SPREAD_SEEDS - 1}")
        if np.all(est == est[0]):
            pytest.fail(f"{what}: the same value {est[0]!r} for every seed: the machine "
                        "declares shots but returns exact values (or ignores the seed)",
                        pytrace=False)
        assert lo <= ratio <= hi, (
            f"{what}: the estimates vary {math.sqrt(ratio):.3f} times as much as shot noise "
            f"(sample variance / (sigma^2/shots) = {ratio:.3f}, outside [{lo}, {hi}], which a "
            f"correct machine leaves with probability < {FALSE_FAILURE:g}); estimates "
            f"{np.round(est[:6], 4).tolist()}...")
