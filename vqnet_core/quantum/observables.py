"""Observables: Pauli strings and weighted sums of them (Hamiltonians).

>>> from vqnet_core.quantum.observables import Hamiltonian
>>> h = Hamiltonian.from_any({"Z0 Z1": 0.5, "X2": 1.0})
>>> h.terms
((0.5, ((0, 'Z'), (1, 'Z'))), (1.0, ((2, 'X'),)))
>>> h.wires
(0, 1, 2)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

PauliTerm = tuple[tuple[int, str], ...]  # ((wire, "X"|"Y"|"Z"), ...) sorted by wire

_TOKEN = re.compile(r"^([IXYZ])(\d+)$")


def parse_pauli(word: str) -> PauliTerm:
    """``"Z0 X2"`` (or ``"Z0X2"``, ``"I"``, ``""``) as a sorted term of (wire, Pauli) pairs."""
    if not isinstance(word, str):
        raise TypeError(f"a Pauli string must be a str like 'Z0 X1', got {word!r}")
    tokens = re.findall(r"[A-Za-z]+\d*", word.replace(",", " "))
    if re.sub(r"[A-Za-z]+\d*|[\s,]", "", word):
        raise ValueError(f"cannot parse Pauli string {word!r}; write it like 'Z0 X1'")
    out: dict[int, str] = {}
    for tok in tokens:
        if tok.upper() == "I":
            continue
        m = _TOKEN.match(tok.upper())
        if not m:
            raise ValueError(f"cannot parse {tok!r} in Pauli string {word!r}; use tokens like "
                             "'X0', 'Y3', 'Z12'")
        p, w = m.group(1), int(m.group(2))
        if p == "I":
            continue
        if w in out:
            raise ValueError(f"wire {w} appears twice in Pauli string {word!r}")
        out[w] = p
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class Hamiltonian:
    """A real-weighted sum of Pauli strings: ``terms = ((coeff, term), ...)``."""

    terms: tuple[tuple[float, PauliTerm], ...]

    def __post_init__(self) -> None:
        for c, t in self.terms:
            if not math.isfinite(c):
                word = " ".join(f"{p}{w}" for w, p in t) or "I"
                raise ValueError(f"the coefficient of the observable term {word!r} is {c!r}; "
                                 "coefficients must be finite real numbers")

    @classmethod
    def from_any(cls, obs: Any) -> Hamiltonian:
        """Accepts a Hamiltonian, a dict ``{"Z0 Z1": 0.5}``, a Pauli string ``"Z0"``, or a
        list of ``(coeff, "Z0 Z1")`` pairs."""
        if isinstance(obs, Hamiltonian):
            return obs
        if isinstance(obs, str):
            return cls(((1.0, parse_pauli(obs)),))
        if isinstance(obs, Mapping):
            items = list(obs.items())
            return cls(tuple((_coeff(c, k), parse_pauli(k)) for k, c in items))
        if isinstance(obs, (list, tuple)):
            out = []
            for item in obs:
                if not (isinstance(item, (list, tuple)) and len(item) == 2):
                    raise TypeError(f"expected (coeff, pauli_string) pairs, got {item!r}")
                a, b = item
                c, w = (a, b) if isinstance(b, str) else (b, a)
                out.append((_coeff(c, w), parse_pauli(w)))
            return cls(tuple(out))
        raise TypeError(f"cannot make an observable from {type(obs).__name__}; use a dict like "
                        "{'Z0 Z1': 0.5} or a Pauli string")

    @property
    def wires(self) -> tuple[int, ...]:
        return tuple(sorted({w for _, t in self.terms for w, _ in t}))

    def matrix(self, num_wires: int) -> np.ndarray:
        """The dense ``2^n x 2^n`` matrix (for tests and small n)."""
        from .gates import PAULI

        out = np.zeros((2**num_wires, 2**num_wires), dtype=complex)
        for c, term in self.terms:
            d = dict(term)
            m = np.array([[1.0 + 0j]])
            for w in range(num_wires):
                m = np.kron(m, PAULI[d.get(w, "I")])
            out += c * m
        return out

    def __repr__(self) -> str:
        body = " + ".join(f"{c:g}*" + (" ".join(f"{p}{w}" for w, p in t) or "I")
                          for c, t in self.terms)
        return f"Hamiltonian({body})"


def _coeff(c: Any, term: Any = None) -> float:
    of = f" of the term {term!r}" if term is not None else ""
    try:
        v = complex(c)
    except (TypeError, ValueError):
        raise TypeError(f"the observable coefficient{of} must be a real number, got "
                        f"{c!r}") from None
    if v.imag != 0:
        raise ValueError(f"observable coefficients must be real (Hermitian), got {c!r}{of}")
    if not math.isfinite(v.real):
        raise ValueError(f"the observable coefficient{of} is {c!r}; coefficients must be "
                         "finite real numbers")
    return float(v.real)
