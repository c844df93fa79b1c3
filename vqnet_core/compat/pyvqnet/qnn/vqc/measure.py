"""pyvqnet's measurement modules on a :class:`QMachine`: ``MeasureAll`` (expectation values of
Pauli observables) and ``Probability``."""

from __future__ import annotations

from typing import Any

from vqnet_core.quantum.circuit import Expval, Probs

from .qmachine import QMachine, QModule

__all__ = ["MeasureAll", "Probability"]


def _pauli_dict(obs: Any) -> dict[str, float]:
    """pyvqnet's observable: a dict of Pauli strings and coefficients, ``{"Z0 X1": 0.5}``."""
    if not isinstance(obs, dict) or not obs:
        raise TypeError(f"an observable is a dict of Pauli strings such as {{'Z0 X1': 0.5}}, "
                        f"got {obs!r}")
    return {str(k): float(v) for k, v in obs.items()}


class MeasureAll(QModule):
    """``<H>`` per batch row: ``obs`` a dict (one Hamiltonian: output ``[B, 1]``) or a list of
    dicts (``[B, len(obs)]``).

    >>> from vqnet_core.compat.pyvqnet.qnn.vqc import MeasureAll, QMachine, paulix
    >>> qm = QMachine(2)
    >>> qm.reset_states(2)
    >>> paulix(qm, 1)
    >>> MeasureAll(obs=[{"Z0": 1.0}, {"Z1": 1.0}])(q_machine=qm).tolist()
    [[1.0, -1.0], [1.0, -1.0]]
    """

    def __init__(self, obs: Any, name: str = "") -> None:
        super().__init__(name)
        terms = obs if isinstance(obs, (list, tuple)) else [obs]
        if not terms:
            raise ValueError("MeasureAll needs at least one observable")
        self.obs = [_pauli_dict(o) for o in terms]

    def forward(self, q_machine: QMachine) -> Any:
        return q_machine.run([Expval(o) for o in self.obs])


class Probability(QModule):
    """The probabilities ``[B, 2^k]`` of the basis states of ``wires`` (the first wire the most
    significant bit)."""

    def __init__(self, wires: Any, name: str = "") -> None:
        super().__init__(name)
        self.wires = [int(wires)] if isinstance(wires, int) else [int(w) for w in wires]

    def forward(self, q_machine: QMachine) -> Any:
        return q_machine.run([Probs(self.wires)])
