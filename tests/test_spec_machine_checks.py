"""The machine half of the conformance suite catches each bug it claims to: every machine
below is the core's statevector machine with exactly one bug, registered in-process, and the
suite must fail the check written for that bug with a message naming the culprit, while the
correct machine passes those checks."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.backend import get_backend
from vqnet_core.quantum import Circuit, Expval, Operation, ParamRef
from vqnet_core.quantum.machine import MachineCapabilities
from vqnet_core.quantum.observables import Hamiltonian
from vqnet_core.quantum.registry import register_machine
from vqnet_core.quantum.statevector import StatevectorMachine

pytest_plugins = ["pytester"]

_QUIET = ("-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:benchmark", "-p", "no:xdist")


class WrongSignRY(StatevectorMachine):
    """RY(t) runs as RY(-t)."""

    name = "spec-broken-ry-sign"

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        S, extra, ops = angles.shape[1], [], []
        for op in circuit.ops:
            if op.name == "RY":
                p = op.params[0]
                if isinstance(p, ParamRef):
                    extra.append(-angles[:, p.index])
                    p = ParamRef(S + len(extra) - 1)
                else:
                    p = -p
                op = Operation("RY", op.wires, (p,))
            ops.append(op)
        a = np.concatenate([angles, np.stack(extra, 1)], 1) if extra else angles
        return super()._execute(Circuit(circuit.num_wires, ops), a, measurements, shots, seed,
                                dtype)


class FlippedY(StatevectorMachine):
    """Expvals of Pauli words with an odd number of Y come out negated."""

    name = "spec-broken-y-observable"

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        def flip(m):
            if m.kind != "expval":
                return m
            return Expval(Hamiltonian(tuple(
                (-c if sum(p == "Y" for _, p in t) % 2 else c, t) for c, t in m.observable.terms)))
        return super()._execute(circuit, angles, [flip(m) for m in measurements], shots, seed,
                                dtype)


class BiasedSamples(StatevectorMachine):
    """Shot-based expvals and probs are right, but ``Sample`` turns 15% of the 0s of its
    first wire into 1s."""

    name = "spec-broken-biased-samples"

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        out = super()._execute(circuit, angles, measurements, shots, seed, dtype)
        B = get_backend()
        rng = np.random.default_rng(seed)
        for i, m in enumerate(measurements):
            if m.kind == "sample":
                s = np.array(B.to_numpy(out[i]))
                flip = (s[..., 0] == 0) & (rng.random(s.shape[:2]) < 0.15)
                s[..., 0][flip] = 1
                out[i] = B.from_numpy(s)
        return out


class ExactShots(StatevectorMachine):
    """Declares shots, samples honestly, but returns exact expvals and probs anyway."""

    name = "spec-broken-exact-shots"

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        if shots is None:
            return super()._execute(circuit, angles, measurements, shots, seed, dtype)
        sampled = [m for m in measurements if m.kind == "sample"]
        exact = [m for m in measurements if m.kind != "sample"]
        rs = iter(super()._execute(circuit, angles, sampled, shots, seed, dtype)
                  if sampled else [])
        re = iter(super()._execute(circuit, angles, exact, None, seed, dtype) if exact else [])
        return [next(rs) if m.kind == "sample" else next(re) for m in measurements]


class FixedSeed(StatevectorMachine):
    """Ignores the seed it is given: always draws with seed 1234."""

    name = "spec-broken-fixed-seed"

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        return super()._execute(circuit, angles, measurements, shots, 1234, dtype)


class Unseeded(StatevectorMachine):
    """Ignores the seed it is given: draws from the global stream (seed=None)."""

    name = "spec-broken-unseeded"

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        return super()._execute(circuit, angles, measurements, shots, None, dtype)


class EightWires(StatevectorMachine):
    """Right up to 8 wires, declares 24: above 8, gates touching wires >= 8 are lost."""

    name = "spec-broken-eight-wires"
    capabilities = MachineCapabilities(
        max_wires=24, measurements=StatevectorMachine.capabilities.measurements,
        adjoint=True)

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        if circuit.num_wires > 8:
            circuit = Circuit(circuit.num_wires,
                              [op for op in circuit.ops if max(op.wires) < 8])
        return super()._execute(circuit, angles, measurements, shots, seed, dtype)


class WrongControlledRotationVjp(StatevectorMachine):
    """The adjoint vjp doubles the gradient of the angles of controlled rotations."""

    name = "spec-broken-crot-vjp"

    def _vjp(self, circuit, angles, measurements, upstream, dtype):
        B = get_backend()
        g = np.array(B.to_numpy(super()._vjp(circuit, angles, measurements, upstream, dtype)))
        for op in circuit.ops:
            if op.name in ("CRX", "CRY", "CRZ"):
                g[:, op.params[0].index] *= 2
        return B.from_numpy(g)


class NoisyByDefault(StatevectorMachine):
    """Deliberately wrong by default (an X on wire 0 first, standing in for a noisy QPU's
    errors), exact with ``noise=False``, which it names as its conformance options."""

    name = "spec-noisy-by-default"
    capabilities = MachineCapabilities(
        max_wires=8, measurements=frozenset({"expval", "probs", "sample", "state"}),
        extra={"conformance_options": {"noise": False}})

    def __init__(self, noise: bool = True) -> None:
        super().__init__()
        self.noise = noise

    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        if self.noise:
            circuit = Circuit(circuit.num_wires, [Operation("X", (0,))] + list(circuit.ops))
        return super()._execute(circuit, angles, measurements, shots, seed, dtype)


class NoisyUndeclared(NoisyByDefault):
    """The same without the declaration: the suite sees the errors."""

    name = "spec-noisy-undeclared"
    capabilities = MachineCapabilities(
        max_wires=8, measurements=frozenset({"expval", "probs", "sample", "state"}))


BROKEN = (WrongSignRY, FlippedY, BiasedSamples, ExactShots, FixedSeed, Unseeded, EightWires,
          WrongControlledRotationVjp, NoisyByDefault, NoisyUndeclared)


@pytest.fixture(scope="module", autouse=True)
def _registered():
    for cls in BROKEN:
        register_machine(cls)


def _suite(pytester, machine, *args, target="vqnet_spec.machine"):
    res = pytester.runpytest_inprocess("--pyargs", target, "--vqnet-machine", machine,
                                       "-rfsx", *_QUIET, *args)
    return res, res.stdout.str(), res.parseoutcomes()


def _failed(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("FAILED")]


def test_correct_machine_passes_the_new_checks(pytester):
    res, out, n = _suite(pytester, "statevector", "-k",
                         "basics or shots or seed or sample or wide or vjp")
    assert res.ret == pytest.ExitCode.OK, out
    assert n.get("passed", 0) >= 20 and not n.get("failed"), out


def test_wrong_ry_sign_is_named_by_the_basics(pytester):
    res, out, n = _suite(pytester, WrongSignRY.name)
    failed = _failed(out)
    # in the whole machine suite exactly the RY check fails, and the tests built on RY say
    # why they did not run
    assert len(failed) == 1 and "test_basics[RY]" in failed[0], out
    assert "RY is wrong: RY(t)|0>: State()" in out, out
    assert "depends on RY, which failed" in out and n.get("skipped", 0) >= 40, out


def test_flipped_y_observable_is_named_by_the_basics(pytester):
    res, out, n = _suite(pytester, FlippedY.name)
    failed = _failed(out)
    assert len(failed) == 1 and "test_basics[Expval Y]" in failed[0], out
    assert "Expval('Y1')" not in out or "Expval Y is wrong" in out, out
    assert "depends on Expval Y, which failed" in out, out


def test_biased_samples_fail_the_distribution_check(pytester):
    res, out, n = _suite(pytester, BiasedSamples.name, "-k", "shots or sample")
    failed = _failed(out)
    assert failed and all("test_sample_distribution" in f for f in failed), out
    assert "distributed unlike the exact probabilities (total variation" in out, out
    # the existing shot test (expvals only) does not see it
    assert "test_shots_are_seeded_and_unbiased" not in "".join(failed)


def test_exact_values_under_shots_fail_the_shot_noise_check(pytester):
    res, out, n = _suite(pytester, ExactShots.name, "-k", "shots or seed or sample")
    failed = _failed(out)
    assert len(failed) == 1 and "test_shot_noise_is_real" in failed[0], out
    assert "declares shots but returns exact values" in out, out


def test_fixed_internal_seed_fails_the_seed_check(pytester):
    res, out, n = _suite(pytester, FixedSeed.name, "-k", "test_different_seeds_differ")
    assert n.get("failed") == 1, out
    assert "seeds 1 and 2 gave identical Sample() results" in out, out


def test_ignored_seed_fails_the_reproducibility_check(pytester):
    res, out, n = _suite(pytester, Unseeded.name, "-k", "same_seed or seeded_and_unbiased")
    assert n.get("failed") == 2, out
    assert "seed=5 twice gave different Sample(wires=None) results" in out, out


def test_machine_right_only_up_to_eight_wires_fails_the_size_check(pytester):
    res, out, n = _suite(pytester, EightWires.name, "-k", "wide")
    failed = _failed(out)
    assert "test_wide_circuit[5]" not in out.split("short test summary")[-1] or \
        not any("[5]" in f for f in failed), out
    assert any("test_wide_circuit[9]" in f for f in failed), out
    assert "9-wire circuit" in out and "differ from the reference" in out, out


def test_wrong_vjp_names_gate_column_and_measurement(pytester):
    res, out, n = _suite(pytester, WrongControlledRotationVjp.name, "-k", "vjp")
    assert n.get("failed") == 1, out
    assert "vjp differs from parameter shift in 1 of" in out, out
    assert "(CRY on [" in out and "Expval(" in out and "alone: wrong in columns" in out, out


def test_conformance_options_build_the_machine_the_suite_checks(pytester):
    """A machine noisy by default that declares ``conformance_options`` is run with them (and
    passes); without the declaration the same machine fails the basic checks."""
    res, out, n = _suite(pytester, NoisyByDefault.name, "-k", "basics or random or registered")
    assert res.ret == pytest.ExitCode.OK and n.get("passed", 0) >= 6, out
    res, out, n = _suite(pytester, NoisyUndeclared.name, "-k", "basics")
    assert _failed(out) and "test_basics[RY]" in out, out
