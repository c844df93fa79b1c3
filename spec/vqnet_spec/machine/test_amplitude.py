"""Conformance of the ``amplitude`` measurement (amplitudes of chosen basis states): values vs
the reference statevector machine up to one global phase per batch element, bit strings vs
ints, and errors. Skipped for machines that do not declare it.

    pytest --pyargs vqnet_spec.machine.test_amplitude --vqnet-machine NAME
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from vqnet_core.quantum import GATES, Amplitude, Circuit, MachineError, Operation, ParamRef

from .basics import PREPARATION, depends, exact_tol
from .test_machine import _gate_circuit, _needs, _np, _random_circuit, _reference


def _same_up_to_phase(got, want, atol=1e-8):
    """Rows equal up to a global phase each (compared on the chosen amplitudes)."""
    for g, w in zip(got, want):
        ov = np.vdot(w, g)
        phase = ov / abs(ov) if abs(ov) > 1e-12 else 1.0
        np.testing.assert_allclose(g, w * phase, atol=atol)


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_amplitudes(machine, name):
    _needs(machine, kinds=("amplitude",), gates=(name, "RY", "RZ", "H"))
    depends(machine, *PREPARATION)
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    c, S = _gate_circuit(name, rng)
    a = rng.uniform(-np.pi, np.pi, (2, S))
    states = sorted(set(rng.integers(0, 2**c.num_wires, 4).tolist()) | {0})
    got = _np(machine.execute(c, a, [Amplitude(states)])[0])
    want = _reference().execute(c, a, [Amplitude(states)])[0]
    assert got.shape == (2, len(states)) and got.dtype.kind == "c"
    _same_up_to_phase(got, want, exact_tol(machine, 1e-8))


def test_random_circuit_amplitudes_and_bitstrings(machine):
    _needs(machine, kinds=("amplitude",))
    depends(machine, *PREPARATION)
    rng = np.random.default_rng(11)
    c, S = _random_circuit(machine, rng, n=4, num=25)
    a = rng.uniform(-3, 3, (3, S))
    ints = [0, 5, 9, 15]
    got = _np(machine.execute(c, a, [Amplitude(ints)])[0])
    bits = _np(machine.execute(c, a, [Amplitude([format(i, "04b") for i in ints])])[0])
    np.testing.assert_allclose(bits, got, atol=1e-12)
    _same_up_to_phase(got, _reference().execute(c, a, [Amplitude(ints)])[0],
                      exact_tol(machine, 1e-8))


def test_amplitude_errors(machine):
    _needs(machine, kinds=("amplitude",), gates=("RX",))
    c = Circuit(2, [Operation("RX", (0,), (ParamRef(0),))])
    with pytest.raises(MachineError, match="out of range"):
        machine.execute(c, np.zeros((1, 1)), [Amplitude([4])])
    with pytest.raises(MachineError, match="bits"):
        machine.execute(c, np.zeros((1, 1)), [Amplitude(["011"])])
    with pytest.raises(ValueError, match="bit string"):
        Amplitude(["01a"])
