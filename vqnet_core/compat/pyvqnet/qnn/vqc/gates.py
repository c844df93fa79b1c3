"""pyvqnet's gate functions (``rx(q_machine, wires, params=None, use_dagger=False)``) and gate
modules (``RX(has_params, trainable, init_params, wires, dtype, use_dagger)``), recorded onto a
:class:`QMachine`.

``params`` may be a number, a NumPy array or a QTensor: one value, one per batch row
(``[B]`` / ``[B, 1]``), and for gates with several angles ``[k]`` or ``[B, k]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import vqnet_core as _vq
from vqnet_core.quantum.gates import get_gate
from vqnet_core.tensor import QTensor

from ...nn.module import Parameter
from .qmachine import QMachine, QModule

__all__: list[str] = []

# pyvqnet's function name -> (the core gate, pyvqnet's class name)
_GATES = {
    "i": ("I", "I"), "hadamard": ("H", "Hadamard"), "paulix": ("X", "PauliX"),
    "pauliy": ("Y", "PauliY"), "pauliz": ("Z", "PauliZ"), "s": ("S", "S"),
    "sdg": ("Sdg", "SDG"), "t": ("T", "T"), "tdg": ("Tdg", "TDG"),
    "rx": ("RX", "RX"), "ry": ("RY", "RY"), "rz": ("RZ", "RZ"),
    "p": ("PhaseShift", "P"), "phaseshift": ("PhaseShift", "PhaseShift"),
    "u1": ("U1", "U1"), "u2": ("U2", "U2"), "u3": ("U3", "U3"), "rot": ("Rot", "Rot"),
    "cnot": ("CNOT", "CNOT"), "cy": ("CY", "CY"), "cz": ("CZ", "CZ"), "ch": ("CH", "CH"),
    "swap": ("SWAP", "SWAP"), "iswap": ("ISWAP", "iSWAP"),
    "crx": ("CRX", "CRX"), "cry": ("CRY", "CRY"), "crz": ("CRZ", "CRZ"),
    "crot": ("CRot", "CRot"), "controlledphaseshift": ("ControlledPhaseShift",
                                                       "ControlledPhaseShift"),
    "cr": ("ControlledPhaseShift", "CR"),
    "rxx": ("RXX", "RXX"), "ryy": ("RYY", "RYY"), "rzz": ("RZZ", "RZZ"), "rzx": ("RZX", "RZX"),
    "isingxx": ("RXX", "IsingXX"), "isingyy": ("RYY", "IsingYY"), "isingzz": ("RZZ", "IsingZZ"),
    "isingxy": ("IsingXY", "IsingXY"), "multirz": ("MultiRZ", "MultiRZ"),
    "toffoli": ("Toffoli", "Toffoli"), "cswap": ("CSWAP", "CSWAP"), "ccz": ("CCZ", "CCZ"),
    "multicontrolledx": ("MultiControlledX", "MultiControlledX"),
    "single_excitation": ("SingleExcitation", "SingleExcitation"),
    "double_excitation": ("DoubleExcitation", "DoubleExcitation"),
}
# pyvqnet's quarter turns: RX, RY, RZ at pi / 2
_QUARTER = {"x1": ("RX", "X1"), "y1": ("RY", "Y1"), "z1": ("RZ", "Z1")}
# the inverse of a constant gate, where it is another gate; the others here are their own
_CONST_DAGGER = {"S": "Sdg", "Sdg": "S", "T": "Tdg", "Tdg": "T"}
_SELF_INVERSE = {"I", "H", "X", "Y", "Z", "CNOT", "CY", "CZ", "CH", "SWAP", "Toffoli", "CSWAP",
                 "CCZ", "MultiControlledX"}


def _wires(wires: Any) -> list[int]:
    if wires is None:
        raise ValueError("a gate needs wires")
    if isinstance(wires, (int, np.integer)):
        return [int(wires)]
    if isinstance(wires, QTensor):
        wires = wires.numpy().reshape(-1).tolist()
    return [int(w) for w in wires]


def _angles(gate: str, params: Any, k: int) -> list[Any]:
    """``params`` as ``k`` angles, each a number or a QTensor ``[B]`` / scalar."""
    if params is None:
        raise ValueError(f"{gate} needs params ({k} angle(s))")
    if isinstance(params, (int, float, np.number)) and not isinstance(params, bool):
        if k != 1:
            raise ValueError(f"{gate} takes {k} angles, got one number")
        return [float(params)]
    t = params if isinstance(params, QTensor) else QTensor(np.asarray(params, dtype=np.float64))
    if k == 1:
        if t.ndim == 2 and t.shape[1] == 1 or t.ndim == 1:
            return [t.reshape(-1) if t.ndim == 2 else t]
        if t.ndim == 0:
            return [t]
        raise ValueError(f"{gate}: params must be one angle or one per batch row ([B] or "
                         f"[B, 1]), got shape {t.shape}")
    if t.ndim == 1 and t.shape[0] == k:
        return [t[j] for j in range(k)]
    if t.ndim == 2 and t.shape[1] == k:
        return [t[:, j] for j in range(k)]
    raise ValueError(f"{gate} takes {k} angles: params of shape [{k}] or [B, {k}], got "
                     f"{t.shape}")


def _neg(a: Any) -> Any:
    return -a


def _dagger(core: str, angles: list[Any]) -> tuple[str, list[Any], Any]:
    """(gate, angles, matrix) of the inverse of ``core`` with ``angles``."""
    g = get_gate(core)
    if g.num_params == 0:
        if core in _SELF_INVERSE:
            return core, [], None
        if core in _CONST_DAGGER:
            return _CONST_DAGGER[core], [], None
        return "QubitUnitary", [], np.conj(g.matrix(np.zeros((1, 0)))[0]).T
    if core in ("Rot", "CRot"):  # RZ(w) RY(t) RZ(p): the inverse is Rot(-w, -t, -p)
        p, t, w = angles
        return core, [_neg(w), _neg(t), _neg(p)], None
    if core == "U3":  # U3(t, p, l)^dagger = U3(-t, -l, -p)
        t, p, lam = angles
        return core, [_neg(t), _neg(lam), _neg(p)], None
    if core == "U2":  # U2(p, l) = U3(pi/2, p, l)
        p, lam = angles
        return "U3", [-math.pi / 2, _neg(lam), _neg(p)], None
    return core, [_neg(a) for a in angles], None  # exp(-i t G / 2) and phases: negate t


def apply_gate(q_machine: QMachine, core: str, wires: Any, params: Any = None,
               use_dagger: bool = False) -> None:
    """Record ``core`` on ``wires`` of ``q_machine`` (the body of every gate function)."""
    if not isinstance(q_machine, QMachine):
        raise TypeError(f"{core}: the first argument must be a QMachine, got "
                        f"{type(q_machine).__name__}")
    g = get_gate(core)
    ws = _wires(wires)
    angles = _angles(core, params, g.num_params) if g.num_params else []
    matrix = None
    if use_dagger:
        core, angles, matrix = _dagger(core, angles)
    if matrix is not None:
        q_machine.recorder.gate("QubitUnitary", ws, matrix=matrix)
    else:
        q_machine.recorder.gate(core, ws, *angles)


def _function(fname: str, core: str):
    def gate(q_machine: QMachine, wires: Any = None, params: Any = None,
             use_dagger: bool = False) -> None:
        apply_gate(q_machine, core, wires, params, use_dagger)
    gate.__name__ = gate.__qualname__ = fname
    gate.__doc__ = (f"pyvqnet's ``{fname}(q_machine, wires, params=None, use_dagger=False)``: "
                    f"VQNet's {core} on ``wires``.")
    return gate


class _GateModule(QModule):
    """A gate as a module: ``RX(has_params=True, trainable=True, wires=0)(q_machine=qm)``
    applies RX with its own (trainable) angle; ``gate(params=x, q_machine=qm)`` with ``x``."""

    _core = ""

    def __init__(self, has_params: bool = False, trainable: bool = False,
                 init_params: Any = None, wires: Any = None, dtype: Any = None,
                 use_dagger: bool = False, **kwargs: Any) -> None:
        super().__init__(kwargs.get("name", ""))
        self.num_params = get_gate(self._core).num_params
        self.wires = wires
        self.use_dagger = use_dagger
        self.has_params = bool(has_params or trainable or init_params is not None)
        if self.has_params and self.num_params:
            if init_params is not None:
                data = np.asarray(init_params.numpy() if isinstance(init_params, QTensor)
                                  else init_params, dtype=np.float64).reshape(1, self.num_params)
            else:  # pyvqnet draws its own; a uniform angle here
                data = np.random.uniform(0, 2 * np.pi, (1, self.num_params))
            real = "float64" if dtype is not None and "128" in str(dtype) else "float32"
            self.params = Parameter(_vq.tensor(data, dtype=real), requires_grad=bool(trainable))

    def forward(self, params: Any = None, q_machine: QMachine | None = None,
                wires: Any = None) -> None:
        if q_machine is None:
            raise ValueError(f"{type(self).__name__}: pass q_machine=")
        if params is None and self.num_params:
            if not self.has_params:
                raise ValueError(f"{type(self).__name__}: no params given and the gate holds "
                                 "none (has_params=False)")
            params = self.params.reshape(-1) if self.num_params > 1 else self.params.reshape(())
        apply_gate(q_machine, self._core, wires if wires is not None else self.wires, params,
                   self.use_dagger)

    def extra_repr(self) -> str:
        return f"wires={self.wires}, has_params={self.has_params}, use_dagger={self.use_dagger}"


def _quarter_function(fname: str, core: str):
    def gate(q_machine: QMachine, wires: Any = None, params: Any = None,
             use_dagger: bool = False) -> None:
        apply_gate(q_machine, core, wires, math.pi / 2, use_dagger)
    gate.__name__ = gate.__qualname__ = fname
    gate.__doc__ = f"pyvqnet's ``{fname}(q_machine, wires)``: {core}(pi / 2) on ``wires``."
    return gate


class _QuarterModule(QModule):
    """``X1(wires=0)(q_machine=qm)``: a fixed quarter turn."""

    _fn: Any = None

    def __init__(self, has_params: bool = False, trainable: bool = False,
                 init_params: Any = None, wires: Any = None, dtype: Any = None,
                 use_dagger: bool = False, **kwargs: Any) -> None:
        super().__init__(kwargs.get("name", ""))
        self.wires, self.use_dagger = wires, use_dagger

    def forward(self, params: Any = None, q_machine: QMachine | None = None,
                wires: Any = None) -> None:
        type(self)._fn(q_machine, wires if wires is not None else self.wires,
                       use_dagger=self.use_dagger)


_seen_classes: dict[str, type] = {}
for _fname, (_core, _cname) in _GATES.items():
    globals()[_fname] = _function(_fname, _core)
    __all__.append(_fname)
    if _cname not in _seen_classes:
        _cls = type(_cname, (_GateModule,), {"_core": _core, "__module__": __name__,
                                             "__doc__": f"pyvqnet's ``{_cname}`` gate module "
                                                        f"(VQNet's {_core})."})
        _seen_classes[_cname] = _cls
        globals()[_cname] = _cls
        __all__.append(_cname)
for _fname, (_core, _cname) in _QUARTER.items():
    globals()[_fname] = _quarter_function(_fname, _core)
    globals()[_cname] = type(_cname, (_QuarterModule,), {
        "_fn": staticmethod(globals()[_fname]), "__module__": __name__,
        "__doc__": f"pyvqnet's ``{_cname}``: {_core}(pi / 2)."})
    __all__ += [_fname, _cname]
