"""The circuit IR: operations on wires whose angles refer into a batch of angle vectors.

A :class:`Circuit` is ``num_wires`` plus a list of :class:`Operation`. Each operation parameter is
either a :class:`ParamRef` (column ``s`` of the ``angles[B, S]`` array given at execution) or a
constant float. Measurements are separate objects passed to ``Machine.execute``.

>>> from vqnet_core.quantum.circuit import Circuit, Operation, ParamRef, Expval
>>> c = Circuit(2, [Operation("RY", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1))])
>>> c.num_angles, Expval({"Z1": 1.0}).kind
(1, 'expval')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .gates import GateError, canonical_name, get_gate
from .observables import Hamiltonian


@dataclass(frozen=True)
class ParamRef:
    """A reference to column ``index`` of the angle array."""

    index: int


@dataclass(frozen=True, eq=False)
class Operation:
    """One gate application. ``matrix`` is set only for ``QubitUnitary``."""

    name: str
    wires: tuple[int, ...]
    params: tuple[ParamRef | float, ...] = ()
    matrix: np.ndarray | None = None

    def __post_init__(self) -> None:
        name = canonical_name(self.name)
        object.__setattr__(self, "name", name)
        wires = tuple(int(w) for w in self.wires)
        object.__setattr__(self, "wires", wires)
        g = get_gate(name)
        if len(set(wires)) != len(wires):
            raise GateError(f"{name}: repeated wire in {wires}")
        if g.num_wires is not None and len(wires) != g.num_wires:
            raise GateError(f"{name} acts on {g.num_wires} wire(s), got wires {wires}")
        if len(wires) < g.min_wires:
            raise GateError(f"{name} needs at least {g.min_wires} wires, got {wires}")
        params = tuple(p if isinstance(p, ParamRef) else float(p) for p in self.params)
        object.__setattr__(self, "params", params)
        if len(params) != g.num_params:
            raise GateError(f"{name} takes {g.num_params} angle(s), got {len(params)}")
        if name == "QubitUnitary":
            if self.matrix is None:
                raise GateError("QubitUnitary needs a matrix")
            m = np.asarray(self.matrix, dtype=complex)
            d = 2 ** len(wires)
            if m.shape != (d, d):
                raise GateError(f"QubitUnitary on {len(wires)} wire(s) needs a {d}x{d} matrix, "
                                f"got shape {m.shape}")
            if not np.allclose(m @ m.conj().T, np.eye(d), atol=1e-8):
                raise GateError("QubitUnitary: the matrix is not unitary")
            object.__setattr__(self, "matrix", m)

    def key(self) -> tuple:
        """A hashable description of the structure (angle references and constants)."""
        ps = tuple(("a", p.index) if isinstance(p, ParamRef) else ("c", p) for p in self.params)
        m = None if self.matrix is None else self.matrix.tobytes()
        return (self.name, self.wires, ps, m)


@dataclass(eq=False)
class Circuit:
    """``num_wires`` qubits and a list of operations."""

    num_wires: int
    ops: list[Operation] = field(default_factory=list)

    @property
    def num_angles(self) -> int:
        """1 + the largest angle column referred to (0 if none)."""
        refs = [p.index for op in self.ops for p in op.params if isinstance(p, ParamRef)]
        return max(refs) + 1 if refs else 0

    def key(self) -> tuple:
        """Structure key for caches: equal keys mean the same compiled plan."""
        k = getattr(self, "_key", None)
        if k is None:
            k = (self.num_wires, tuple(op.key() for op in self.ops))
            self._key = k
        return k

    def append(self, op: Operation) -> None:
        self.ops.append(op)
        self._key = None

    def draw(self, angles: Any = None, measurements: Any = None, **kwargs: Any) -> str:
        """The text drawing (see :func:`vqnet_core.quantum.drawing.draw_text`)."""
        from .drawing import draw_text

        return draw_text(self, angles, measurements, **kwargs)

    def __repr__(self) -> str:
        return f"Circuit(num_wires={self.num_wires}, ops={len(self.ops)})"


# ---------------------------------------------------------------------------- measurements
class Measurement:
    """Base of the measurement kinds."""

    kind = ""
    wires: tuple[int, ...] | None = None

    def key(self) -> tuple:
        return (self.kind, self.wires)


class Expval(Measurement):
    """``<psi| H |psi>`` for a Hamiltonian (dict, Pauli string or :class:`Hamiltonian`)."""

    kind = "expval"

    def __init__(self, observable: Any) -> None:
        self.observable = Hamiltonian.from_any(observable)
        self.wires = self.observable.wires

    def key(self) -> tuple:
        return (self.kind, self.observable.terms)

    def __repr__(self) -> str:
        return f"Expval({self.observable!r})"


class Probs(Measurement):
    """Probabilities of the computational basis states of ``wires`` (all wires if None);
    wire order as given, the first one most significant."""

    kind = "probs"

    def __init__(self, wires: Sequence[int] | int | None = None) -> None:
        self.wires = None if wires is None else _wires(wires)

    def __repr__(self) -> str:
        return f"Probs(wires={self.wires})"


class Sample(Measurement):
    """Bit strings ``[B, shots, len(wires)]`` (int64) drawn with the execution's ``shots``."""

    kind = "sample"

    def __init__(self, wires: Sequence[int] | int | None = None) -> None:
        self.wires = None if wires is None else _wires(wires)

    def __repr__(self) -> str:
        return f"Sample(wires={self.wires})"


class State(Measurement):
    """The state vector ``[B, 2^n]`` (complex)."""

    kind = "state"

    def __repr__(self) -> str:
        return "State()"


class Amplitude(Measurement):
    """Complex amplitudes ``[B, len(states)]`` of chosen computational basis states of all
    wires; a state is an int index (wire 0 most significant) or a bit string like ``"0110"``.

    >>> Amplitude(["01", 3]).states
    (1, 3)
    """

    kind = "amplitude"

    def __init__(self, states: Sequence[int | str] | int | str) -> None:
        items = [states] if isinstance(states, (int, np.integer, str)) else list(states)
        if not items:
            raise ValueError("Amplitude needs at least one basis state")
        out, self.width = [], None
        for s in items:
            if isinstance(s, str):
                if not s or set(s) - {"0", "1"}:
                    raise ValueError(f"a basis state must be a bit string like '0110', got {s!r}")
                if self.width not in (None, len(s)):
                    raise ValueError(f"bit strings of different lengths in {items!r}")
                self.width = len(s)
                out.append(int(s, 2))
            elif isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0:
                out.append(int(s))
            else:
                raise ValueError(f"a basis state must be a non-negative int or a bit string, "
                                 f"got {s!r}")
        self.states = tuple(out)

    def check(self, num_wires: int) -> None:
        """Raise ValueError when a state does not fit ``num_wires`` wires."""
        if self.width is not None and self.width != num_wires:
            raise ValueError(f"bit strings of {self.width} bits given for {num_wires} wires")
        bad = [s for s in self.states if s >= 2**num_wires]
        if bad:
            raise ValueError(f"basis state {bad[0]} is out of range for {num_wires} wires")

    def key(self) -> tuple:
        return (self.kind, self.states)

    def __repr__(self) -> str:
        return f"Amplitude(states={list(self.states)})"


class Density(Measurement):
    """The density matrix ``[B, 2^n, 2^n]`` (complex) of all wires."""

    kind = "density"

    def __repr__(self) -> str:
        return "Density()"


def _wires(w: Sequence[int] | int) -> tuple[int, ...]:
    ws = (int(w),) if isinstance(w, (int, np.integer)) else tuple(int(x) for x in w)
    if len(set(ws)) != len(ws):
        raise ValueError(f"repeated wire in {ws}")
    return ws


def measurement_width(m: Measurement, num_wires: int) -> int:
    """How many output columns a measurement gives in a layer's output row."""
    if m.kind == "expval":
        return 1
    if m.kind == "probs":
        return 2 ** len(m.wires if m.wires is not None else range(num_wires))
    if m.kind == "state":
        return 2**num_wires
    raise ValueError(f"a {m.kind} measurement has no fixed row width")
