"""Measurement helpers in the paper's style, recording onto a recorder ``q``.

>>> from vqnet_core.quantum.builder import Recorder
>>> q = Recorder(2)
>>> _ = QuantumMeasure(q, [0, 1]); _ = ProbsMeasure(q, [1])
>>> [m.kind for m in q.measurements]
['expval', 'expval', 'probs']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..quantum.builder import Recorder
from ..quantum.circuit import Expval, Probs, Sample


def expval(q: Recorder, observable: Any) -> Expval:
    """``<H>`` for a dict like ``{"Z0 Z1": 0.5}``, a Pauli string or a Hamiltonian."""
    return q.expval(observable)


def probs(q: Recorder, wires: Sequence[int] | int | None = None) -> Probs:
    """Basis-state probabilities of ``wires``."""
    return q.probs(wires)


def sample(q: Recorder, wires: Sequence[int] | int | None = None) -> Sample:
    """Bit strings drawn with the layer's shots."""
    return q.sample(wires)


def QuantumMeasure(q: Recorder, wires: Sequence[int]) -> list[Expval]:
    """``<Z_w>`` for each wire in ``wires`` (one output column each)."""
    return [q.expval({f"Z{w}": 1.0}) for w in wires]


def ProbsMeasure(q: Recorder, wires: Sequence[int]) -> Probs:
    """The probabilities of the basis states of ``wires`` (2^k output columns)."""
    return q.probs(wires)
