"""Wide circuits: wire counts up to the declared ``max_wires``, with gates on the lowest and
highest wires and on far-apart pairs, against the suite's own NumPy reference
(:class:`~vqnet_spec.machine.reference.Reference`, not the core's machine).

Sizes above :func:`wire_cap` are not run (they would take minutes, not seconds): 20 wires for
state-vector kinds, 10 for density-matrix kinds (a machine with a density output and no state
output). Machines that declare ``amplitude`` are read through chosen amplitudes above
``FULL_STATE_WIRES`` wires (an amplitude machine is slow at the full state by design).

    pytest --pyargs vqnet_spec.machine.test_size --vqnet-machine NAME
"""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.quantum import Amplitude, Circuit, Expval, Operation, ParamRef, Probs

from .basics import OBSERVABLES, PREPARATION, depends, exact_tol
from .reference import GATES as REFERENCE_GATES
from .reference import Reference, expval_of_states, marginal
from .test_amplitude import _same_up_to_phase
from .test_machine import _np, _run

STATEVECTOR_CAP, DENSITY_CAP = 20, 10
FULL_STATE_WIRES = 12
SIZES = (5, 9, 13, 17, 20)
ROTATIONS = frozenset({"RY", "RZ", "RX", "H", "CNOT", "CZ"})
CLIFFORD = frozenset({"H", "S", "X", "CNOT", "CZ"})


def wire_cap(machine) -> int:
    """The most wires the size checks run on this machine."""
    caps = machine.capabilities
    cap = DENSITY_CAP if "density" in caps.measurements and "state" not in caps.measurements \
        else STATEVECTOR_CAP
    return min(cap, caps.max_wires)


def _wide(n: int, clifford: bool) -> tuple[Circuit, int]:
    """Gates on wires 0, 1, n//2, n-2, n-1 and on the pairs (0, n-1), (n-1, 1), (1, n-2),
    (n//2, 0), (n-2, n//2)."""
    lo, mid, hi = 0, n // 2, n - 1
    P = ParamRef
    if clifford:
        ops = [("H", (lo,)), ("H", (hi,)), ("X", (1,)), ("H", (mid,)), ("CNOT", (lo, hi - 1)),
               ("CNOT", (hi, 1)), ("S", (hi,)), ("CZ", (1, hi - 1)), ("CNOT", (mid, lo)),
               ("H", (hi - 1,)), ("CNOT", (hi - 1, mid)), ("X", (hi,)), ("S", (1,))]
        return Circuit(n, [Operation(g, w) for g, w in ops]), 0
    ops, S = [], 0
    for w in (lo, 1, mid, hi - 1, hi):
        ops.append(Operation("RY", (w,), (P(S),)))
        S += 1
    ops += [Operation("CNOT", (lo, hi)), Operation("CNOT", (hi, 1)), Operation("CZ", (1, hi - 1)),
            Operation("RZ", (hi,), (P(S),)), Operation("CNOT", (mid, lo)),
            Operation("RX", (lo,), (P(S + 1),)), Operation("H", (hi - 1,)),
            Operation("CNOT", (hi - 1, mid)), Operation("RY", (hi,), (P(S + 2),)),
            Operation("RZ", (mid,), (P(S + 3),))]
    return Circuit(n, ops), S + 4


def _observables(n: int) -> list[dict[str, float]]:
    lo, mid, hi = 0, n // 2, n - 1
    return [{f"Z{hi}": 1.0}, {f"Z{lo} Z{hi}": 1.0}, {f"X{hi}": 0.5, f"Z{mid}": -1.0},
            {f"Y{lo}": 1.0}, {f"X{mid} Z1": 1.0}, {f"Y{hi} X{hi - 1}": 1.0}]


@pytest.mark.parametrize("size", [*SIZES, "max"], ids=[*map(str, SIZES), "max"])
def test_wide_circuit(machine, size):
    caps = machine.capabilities
    cap = wire_cap(machine)
    n = cap if size == "max" else size
    if size != "max" and n > cap:
        pytest.skip(f"{n} wires: above this machine's {cap} (max_wires={caps.max_wires}; the "
                    f"suite runs at most {STATEVECTOR_CAP} wires, {DENSITY_CAP} for "
                    "density-matrix kinds)")
    if size == "max" and n in SIZES:
        pytest.skip(f"the largest size, {n} wires, is one of the fixed sizes")
    if n < 4:
        pytest.skip(f"machine declares max_wires={caps.max_wires}; the wide circuits need 4")
    clifford = not ROTATIONS <= caps.gates
    if clifford and not CLIFFORD <= caps.gates:
        pytest.skip(f"machine declares neither {sorted(ROTATIONS)} nor {sorted(CLIFFORD)}")
    assert (CLIFFORD | ROTATIONS) <= REFERENCE_GATES
    depends(machine, *(("H",) if clifford else PREPARATION), *OBSERVABLES)
    c, S = _wide(n, clifford)
    a = np.random.default_rng(n).uniform(-np.pi, np.pi, (2, S))
    psi = Reference().states(c, a)
    what = f"{n}-wire circuit ({'Clifford' if clifford else 'rotations'}, gates on wires " \
           f"0, 1, {n // 2}, {n - 2}, {n - 1} and far-apart pairs)"
    checked = []
    if "amplitude" in caps.measurements and caps.exact:
        # the largest amplitudes and the ones of states with the lowest / highest wire set
        top = np.argsort(-np.abs(psi[0]))[:6].tolist()
        states = sorted(set(top) | {0, 1, 1 << (n - 1), 2**n - 1})
        got = _np(machine.execute(c, a, [Amplitude(states)])[0])
        try:
            _same_up_to_phase(got, psi[:, states], atol=exact_tol(machine, 1e-7))
        except AssertionError as exc:
            raise AssertionError(f"{what}: Amplitude({states}) differ from the reference "
                                 f"(up to a global phase)\n{exc}") from None
        checked.append("amplitude")
        if n > FULL_STATE_WIRES:
            return
    kinds = [k for k in ("expval", "probs") if k in caps.measurements]
    if not kinds:
        assert checked, f"machine declares none of amplitude / expval / probs for {what}"
        return
    obs = _observables(n) if "expval" in kinds else []
    pw = (n - 1, 0, n // 2)
    ms = [Expval(o) for o in obs] + ([Probs(list(pw))] if "probs" in kinds else [])
    got, tol = _run(machine, c, a, ms)
    want = [expval_of_states(psi, n, o) for o in obs]
    if "probs" in kinds:
        want.append(marginal(np.abs(psi) ** 2, n, pw))
    for g, w, m in zip(got, want, ms):
        np.testing.assert_allclose(_np(g), w, atol=max(tol, 1e-7),
                                   err_msg=f"{what}: {m!r} differs from the reference")
