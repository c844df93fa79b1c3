"""The checks every other machine test builds on, run first and on their own.

Every gate test prepares its input with ``RY`` / ``RZ`` / ``H`` and reads it out through the
``Z`` / ``X`` / ``Y`` observables; a wrong sign in one of those would fail all the gate tests
under the other gates' names. So each of these is checked here with a one- or two-wire circuit
against closed forms (``RY(t)|0> = [cos t/2, sin t/2]``, ...), one check per name (``RY``,
``RZ``, ``H``, ``Expval Z``, ``Expval X``, ``Expval Y``), each only after the checks it uses
passed; ``test_basics`` reports them, and every test that uses them calls :func:`depends`,
which skips it with ``depends on RY, which failed: ...`` instead of failing it.

The sign of a rotation is seen in the state (or density matrix); a machine with neither can
only show it through ``X`` / ``Y``, so there a failing ``Expval X`` / ``Expval Y`` says it
may be the sign of ``RY`` / ``RZ``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from vqnet_core.quantum import Circuit, Density, Expval, Operation, ParamRef, Probs, State

#: the angles of the basic checks (one batch row each)
THETAS = np.array([0.3, 1.1, -2.0, 2.9])
SHOTS = 20000

SKIP = "skip"


class Outcome:
    """One basic check: passed (``failure is None``), failed (``failure`` says how) or not
    run (``skipped`` says why)."""

    def __init__(self, failure: str | None = None, skipped: str | None = None) -> None:
        self.failure, self.skipped = failure, skipped


def _np(x):
    from vqnet_core.backend import get_backend
    return np.asarray(get_backend().to_numpy(x))


#: The tolerance of exact results of a machine that computes in single precision whatever dtype
#: it is asked for (it declares ``capabilities.extra["precision"] = "float32"``, e.g. qsim).
SINGLE_PRECISION_TOL = 5e-5


def exact_tol(machine, tol: float) -> float:
    """``tol`` for an exact result, widened to single precision's where the machine declares
    that it computes in float32 (``capabilities.extra["precision"]``)."""
    if machine.capabilities.extra.get("precision") == "float32":
        return max(tol, SINGLE_PRECISION_TOL)
    return tol


def _exec(machine, circuit, angles, ms):
    """Exact results, or shot estimates and their tolerance (6 sigma of the worst case,
    false-failure probability < 2e-9 a value) for a shots-only machine."""
    if machine.capabilities.exact:
        return [_np(r) for r in machine.execute(circuit, angles, ms)], exact_tol(machine, 1e-7)
    res = machine.execute(circuit, angles, ms, shots=SHOTS, seed=1)
    return [_np(r) for r in res], 6.0 / math.sqrt(SHOTS)


def _ry(w):
    return Operation("RY", (w,), (ParamRef(0),))


def _fmt(v):
    return np.array2string(np.asarray(v), precision=4, suppress_small=True,
                           max_line_width=200)


def _compare(what: str, got, want, tol: float) -> str | None:
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"{what}: shape {got.shape}, want {want.shape}"
    if not np.allclose(got, want, atol=tol, rtol=0):
        return (f"{what} for angles {_fmt(THETAS)}:\n  got  {_fmt(got)}\n  want {_fmt(want)}")
    return None


def _up_to_phase(got, want):
    """``got`` with each row's global phase turned onto ``want``'s."""
    got = np.asarray(got, dtype=complex)
    ov = np.sum(np.conj(got) * want, axis=1)
    ph = np.where(np.abs(ov) > 1e-12, ov / np.maximum(np.abs(ov), 1e-300), 1.0)
    return got * ph[:, None]


def _state_check(machine, circuit, angles, want_state, what) -> str | None | bool:
    """Compare the state (up to phase) or the density matrix when the machine gives one
    exactly; False when it gives neither."""
    caps = machine.capabilities
    if not caps.exact:
        return False
    if "state" in caps.measurements:
        st = _np(machine.execute(circuit, angles, [State()])[0])
        return _compare(f"{what}: State()", _up_to_phase(st, want_state), want_state, 1e-7)
    if "density" in caps.measurements:
        rho = _np(machine.execute(circuit, angles, [Density()])[0])
        want = np.einsum("bi,bj->bij", want_state, want_state.conj())
        return _compare(f"{what}: Density()", rho, want, 1e-7)
    return False


def _has_sign(machine) -> bool:
    caps = machine.capabilities
    return caps.exact and bool({"state", "density"} & caps.measurements)


def _a(x=THETAS):
    return np.asarray(x, dtype=np.float64).reshape(-1, 1)


# ---------------------------------------------------------------------------- the checks
def check_ry(machine):
    caps = machine.capabilities
    if "RY" not in caps.gates or "probs" not in caps.measurements:
        return Outcome(skipped="machine declares no RY gate or no probs measurement")
    c, s = np.cos(THETAS / 2), np.sin(THETAS / 2)
    zero = np.zeros_like(c)
    for n, w, want in ((1, 0, [c**2, s**2]), (2, 1, [c**2, s**2, zero, zero]),
                       (2, 0, [c**2, zero, s**2, zero])):
        circ = Circuit(n, [_ry(w)])
        (p,), tol = _exec(machine, circ, _a(), [Probs()])
        bad = _compare(f"RY(t) on wire {w} of {n}: Probs()", p, np.stack(want, 1), tol)
        if bad:
            return Outcome(bad)
    circ = Circuit(1, [_ry(0)])
    bad = _state_check(machine, circ, _a(), np.stack([c, s], 1).astype(complex), "RY(t)|0>")
    return Outcome(bad or None)


def check_rz(machine):
    caps = machine.capabilities
    if not {"RY", "RZ"} <= caps.gates:
        return Outcome(skipped="machine declares no RY or no RZ gate")
    circ = Circuit(1, [Operation("RY", (0,), (math.pi / 2,)),
                       Operation("RZ", (0,), (ParamRef(0),))])
    want = np.stack([np.exp(-0.5j * THETAS), np.exp(0.5j * THETAS)], 1) / math.sqrt(2)
    bad = _state_check(machine, circ, _a(), want, "RZ(t) RY(pi/2)|0>")
    if bad is not False:
        return Outcome(bad)
    if "expval" not in caps.measurements:
        return Outcome(skipped="machine gives no state, density or expval to see RZ in")
    (x,), tol = _exec(machine, circ, _a(), [Expval("X0")])  # cos: the size of the angle
    return Outcome(_compare("RZ(t) RY(pi/2)|0>: Expval('X0') (= cos t)", x, np.cos(THETAS),
                            tol))


def check_h(machine):
    caps = machine.capabilities
    if "H" not in caps.gates or "probs" not in caps.measurements:
        return Outcome(skipped="machine declares no H gate or no probs measurement")
    (p,), tol = _exec(machine, Circuit(2, [Operation("H", (1,))]), _a(np.zeros(1)), [Probs()])
    bad = _compare("H on wire 1 of 2: Probs()", p, [[0.5, 0.5, 0, 0]], tol)
    if bad or "RY" not in caps.gates:
        return Outcome(bad)
    circ = Circuit(1, [_ry(0), Operation("H", (0,))])
    c, s = np.cos(THETAS / 2), np.sin(THETAS / 2)
    want = np.stack([c + s, c - s], 1) / math.sqrt(2)
    (p,), tol = _exec(machine, circ, _a(), [Probs()])
    bad = _compare("H RY(t)|0>: Probs()", p, np.abs(want) ** 2, tol)
    if bad:
        return Outcome(bad)
    bad = _state_check(machine, circ, _a(), want.astype(complex), "H RY(t)|0>")
    return Outcome(bad or None)


def _expval_check(pauli: str, circuits):
    def check(machine):
        caps = machine.capabilities
        if "expval" not in caps.measurements:
            return Outcome(skipped="machine declares no expval measurement")
        for n, ops, gates, obs, want, note in circuits():
            if not set(gates) <= caps.gates:
                return Outcome(skipped=f"machine declares none of {gates}")
            circ = Circuit(n, ops)
            (v,), tol = _exec(machine, circ, _a(), [Expval(obs)])
            bad = _compare(f"Expval({obs!r}) after {'; '.join(map(_op_str, ops))} (= {note})",
                           v, want, tol)
            if bad:
                if pauli in "XY" and not _has_sign(machine):
                    rot = "RY" if pauli == "X" else "RZ"
                    bad += (f"\n  (this machine gives no exact state or density matrix, so a "
                            f"wrong sign of {rot} looks the same)")
                return Outcome(bad)
        return Outcome()
    return check


def _op_str(op) -> str:
    ps = ", ".join("t" if isinstance(p, ParamRef) else f"{p:.4g}" for p in op.params)
    return f"{op.name}({ps}) on {list(op.wires)}" if ps else f"{op.name} on {list(op.wires)}"


def _z_cases():
    return [(1, [_ry(0)], ("RY",), "Z0", np.cos(THETAS), "cos t"),
            (2, [_ry(1)], ("RY",), "Z1", np.cos(THETAS), "cos t"),
            (2, [_ry(1)], ("RY",), "Z0", np.ones_like(THETAS), "1"),
            (2, [_ry(0)], ("RY",), "Z0 Z1", np.cos(THETAS), "cos t")]


def _x_cases():
    return [(1, [_ry(0)], ("RY",), "X0", np.sin(THETAS), "sin t"),
            (2, [_ry(1)], ("RY",), "X1", np.sin(THETAS), "sin t")]


def _y_cases():
    prep = [Operation("RY", (1,), (math.pi / 2,)), Operation("RZ", (1,), (ParamRef(0),))]
    return [(2, prep, ("RY", "RZ"), "Y1", np.sin(THETAS), "sin t")]


#: name -> (the basic checks it uses, the check)
CHECKS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "RY": ((), check_ry),
    "RZ": (("RY",), check_rz),
    "H": (("RY",), check_h),
    "Expval Z": (("RY",), _expval_check("Z", _z_cases)),
    "Expval X": (("RY",), _expval_check("X", _x_cases)),
    "Expval Y": (("RY", "RZ"), _expval_check("Y", _y_cases)),
}
#: every observable the other tests read out
OBSERVABLES = ("Expval Z", "Expval X", "Expval Y")
PREPARATION = ("RY", "RZ", "H")

_CACHE: dict[int, tuple[object, dict[str, Outcome]]] = {}


def results(machine) -> dict[str, Outcome]:
    """Every basic check of ``machine`` (run once per machine object, in dependency order)."""
    hit = _CACHE.get(id(machine))
    if hit is not None and hit[0] is machine:
        return hit[1]
    out: dict[str, Outcome] = {}
    for name, (deps, fn) in CHECKS.items():
        failed = [d for d in deps if out[d].failure]
        if failed:
            out[name] = Outcome(skipped=f"depends on {failed[0]}, which failed")
            continue
        try:
            out[name] = fn(machine)
        except Exception as exc:  # noqa: BLE001 - a crash of the machine is a failure
            out[name] = Outcome(f"{type(exc).__name__}: {exc}")
    _CACHE[id(machine)] = (machine, out)
    return out


def depends(machine, *names: str) -> None:
    """Skip the calling test when a basic check it builds on failed (naming it)."""
    res = results(machine)
    for name in names:
        o = res.get(name)
        if o is not None and o.failure:
            first = o.failure.splitlines()[0]
            pytest.skip(f"depends on {name}, which failed: {first} (see test_basics[{name}])")
