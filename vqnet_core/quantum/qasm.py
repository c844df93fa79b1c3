"""OpenQASM 2.0 export (:func:`to_qasm`) and import (:func:`from_qasm`).

Export uses the gate names of ``qelib1.inc`` as Qiskit ships and writes it (``id x y z h s sdg
t tdg sx rx ry rz u1 u2 u3 cx cy cz ch crx cry crz cu1 swap cswap ccx rxx rzz``; a strict reader
of the original 2017 file needs the extended one, e.g. ``qiskit.qasm2.loads(text,
custom_instructions=qiskit.qasm2.LEGACY_CUSTOM_INSTRUCTIONS)``). Gates without a
``qelib1.inc`` equivalent are emitted as custom ``gate`` definitions at the top of the file,
exact including the phase:

* ``rot(phi,theta,omega)`` = rz, ry, rz; ``crot`` = crz, cry, crz; ``ccz`` = h, ccx, h;
  ``iswap`` = s, s, h, cx, cx, h.
* ``ryy``, ``rzx``, ``isingxy``, ``single_excitation``, ``double_excitation`` and
  ``multirz_<k>`` (MultiRZ on k wires): products of commuting Pauli rotations (basis change,
  a CNOT ladder, ``rz``), read off the gate's generator.
* ``mcx_<k>`` (MultiControlledX on k >= 4 wires): ``h`` on the target around a multi-controlled
  phase built from ``cx`` and ``u1`` over the parities of every subset of the wires.
* ``QubitUnitary`` on one wire becomes ``u3`` followed, when it has one, by its global phase
  ``e^{ia}`` written exactly as ``u1(a); x; u1(a); x``; on more wires it has no OpenQASM 2.0
  form here and raises :class:`QasmError` (decompose it first).

QASM 2.0 has no free parameters, so angle references are given values from ``angles`` (one
row). Import parses the language subset circuits use: ``OPENQASM 2.0;``, ``include
"qelib1.inc";``, ``qreg`` / ``creg``, gate applications (register broadcast included) with
expressions of ``pi``, numbers, ``+ - * / ^``, unary minus and ``sin cos tan exp ln sqrt``,
custom ``gate`` definitions (expanded), ``measure`` and ``barrier`` (accepted, not part of
the returned circuit). Errors name the line.

>>> from vqnet_core.quantum import Circuit, Operation, ParamRef
>>> c = Circuit(2, [Operation("H", (0,)), Operation("CRX", (0, 1), (ParamRef(0),))])
>>> print(to_qasm(c, angles=[0.5]), end="")
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
h q[0];
crx(0.5) q[0],q[1];
>>> [(op.name, op.wires, op.params) for op in from_qasm(to_qasm(c, [0.5])).ops]
[('H', (0,), ()), ('CRX', (0, 1), (0.5,))]
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .circuit import Circuit, Operation, ParamRef
from .gates import GATES, PAULI


class QasmError(ValueError):
    """Bad OpenQASM input (with its line number), or a circuit with no OpenQASM 2.0 form."""


# ============================================================================ export
_QELIB = {
    "I": "id", "H": "h", "X": "x", "Y": "y", "Z": "z", "S": "s", "Sdg": "sdg", "T": "t",
    "Tdg": "tdg", "SX": "sx", "PhaseShift": "u1", "U1": "u1", "U2": "u2", "U3": "u3",
    "RX": "rx", "RY": "ry", "RZ": "rz", "CNOT": "cx", "CY": "cy", "CZ": "cz", "CH": "ch",
    "CRX": "crx", "CRY": "cry", "CRZ": "crz", "ControlledPhaseShift": "cu1", "SWAP": "swap",
    "CSWAP": "cswap", "Toffoli": "ccx", "RXX": "rxx", "RZZ": "rzz",
}
_FIXED_DEFS = {
    "Rot": "gate rot(phi,theta,omega) a { rz(phi) a; ry(theta) a; rz(omega) a; }",
    "CRot": "gate crot(phi,theta,omega) c,t { crz(phi) c,t; cry(theta) c,t; crz(omega) c,t; }",
    "CCZ": "gate ccz a,b,c { h c; ccx a,b,c; h c; }",
    "ISWAP": "gate iswap a,b { s a; s b; h a; cx a,b; cx b,a; h b; }",
}
_PAULI_GATES = {"RYY": "ryy", "RZX": "rzx", "IsingXY": "isingxy",
                "SingleExcitation": "single_excitation", "DoubleExcitation": "double_excitation"}


def _num(v: float) -> str:
    """A float as QASM: small multiples of pi spelled out, else the shortest exact repr."""
    v = float(v)
    if v != 0.0:
        for den in (1, 2, 3, 4, 6, 8):
            k = v * den / math.pi
            r = round(k)
            if r != 0 and abs(r) <= 16 and abs(k - r) < 1e-12:
                num = "pi" if abs(r) == 1 else f"{abs(r)}*pi"
                s = num if den == 1 else f"{num}/{den}"
                return "-" + s if r < 0 else s
    return repr(v)


def _coef(c: float, var: str) -> str:
    if c == 1.0:
        return var
    if c == -1.0:
        return "-" + var
    return f"{c!r}*{var}"


def _pauli_terms(G: np.ndarray) -> list[tuple[float, str]]:
    """``G = sum c P`` over Pauli words P (no identity term expected)."""
    k = int(np.log2(len(G)))
    out = []
    for word in itertools.product("IXYZ", repeat=k):
        P = np.array([[1.0 + 0j]])
        for p in word:
            P = np.kron(P, PAULI[p])
        c = np.trace(P @ G) / 2**k
        if abs(c) > 1e-12:
            if abs(c.imag) > 1e-12:
                raise QasmError("internal: non-Hermitian generator")
            out.append((float(np.round(c.real, 15)), "".join(word)))
    return out


def _pauli_rotation(word: str, angle: str, qs: Sequence[str]) -> list[str]:
    """``exp(-i angle/2 P)`` for the Pauli word P on qubits ``qs``: basis change to Z, a CNOT
    ladder onto the last non-identity qubit, rz, and back."""
    act = [(q, p) for q, p in zip(qs, word) if p != "I"]
    pre = [f"h {q};" if p == "X" else f"rx(pi/2) {q};" for q, p in act if p != "Z"]
    post = [f"h {q};" if p == "X" else f"rx(-pi/2) {q};" for q, p in act if p != "Z"]
    ladder = [f"cx {a},{b};" for (a, _), (b, _) in zip(act, act[1:])]
    return pre + ladder + [f"rz({angle}) {act[-1][0]};"] + ladder[::-1] + post


def _pauli_def(name: str, gate: str, k: int) -> str:
    """A ``gate`` definition of exp(-i theta G) (G the generator) as commuting Pauli
    rotations."""
    G = GATES[gate].generator(0, k)
    terms = _pauli_terms(G)
    mats = []
    for _, w in terms:
        P = np.array([[1.0 + 0j]])
        for p in w:
            P = np.kron(P, PAULI[p])
        mats.append(P)
    if any(not np.allclose(a @ b, b @ a) for a, b in itertools.combinations(mats, 2)):
        raise QasmError(f"internal: the generator of {gate} has non-commuting terms")
    qs = [f"q{i}" for i in range(k)]
    body = []
    for c, w in terms:
        body += _pauli_rotation(w, _coef(2 * c, "theta"), qs)
    return f"gate {name}(theta) {','.join(qs)} {{ {' '.join(body)} }}"


def _mcx_def(k: int) -> str:
    """MultiControlledX on k wires: H on the target around C^{k-1} phase(pi), the phase of
    x_1...x_k written as a signed sum of the parities of all subsets (each a u1 on a CNOT
    ladder)."""
    qs = [f"q{i}" for i in range(k)]
    body = [f"h {qs[-1]};"]
    for r in range(1, k + 1):
        for sub in itertools.combinations(range(k), r):
            sign = "" if r % 2 == 1 else "-"
            ang = f"{sign}pi/{2 ** (k - 1)}"
            ladder = [f"cx {qs[a]},{qs[b]};" for a, b in zip(sub, sub[1:])]
            body += ladder + [f"u1({ang}) {qs[sub[-1]]};"] + ladder[::-1]
    body.append(f"h {qs[-1]};")
    return f"gate mcx_{k} {','.join(qs)} {{ {' '.join(body)} }}"


def _u3_of(m: np.ndarray) -> tuple[float, float, float]:
    """``(theta, phi, lam)`` with ``m = e^{i a} U3(theta, phi, lam)``."""
    m = m / np.sqrt(np.linalg.det(m))  # SU(2)
    theta = 2 * math.atan2(abs(m[1, 0]), abs(m[0, 0]))
    a00, a10 = np.angle(m[0, 0]), np.angle(m[1, 0])
    a11 = np.angle(m[1, 1])
    if abs(m[1, 0]) < 1e-12:
        phi, lam = 0.0, float(a11 - a00)
    elif abs(m[0, 0]) < 1e-12:
        phi = 0.0
        lam = float(np.angle(-m[0, 1]) - a10)
    else:
        phi, lam = float(a10 - a00), float(a11 - a10)
    return theta, phi, lam


def _row(circuit: Circuit, angles: Any) -> np.ndarray:
    S = circuit.num_angles
    if angles is None:
        if S:
            raise QasmError(f"the circuit refers to {S} angle column(s); OpenQASM 2.0 has no "
                            "free parameters, so pass angles=[...] (one value per column)")
        return np.zeros(0)
    if hasattr(angles, "numpy"):
        angles = angles.numpy()
    a = np.asarray(angles, dtype=np.float64)
    if a.ndim == 2:
        if a.shape[0] != 1:
            raise QasmError(f"angles must be one row [S] or [1, S], got shape {a.shape}; "
                            "pick the sample to export")
        a = a[0]
    if a.ndim != 1 or a.shape[0] < S:
        raise QasmError(f"the circuit needs {S} angle(s), got angles of shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise QasmError("angles contain NaN or infinity")
    return a


def to_qasm(circuit: Circuit, angles: Any = None, measure: bool = False) -> str:
    """The circuit as an OpenQASM 2.0 program over one register ``q``.

    ``angles``: the values ``[S]`` (or ``[1, S]``) of the circuit's angle columns.
    ``measure``: add a ``creg c`` and ``measure q -> c;``.
    """
    if not isinstance(circuit, Circuit):
        raise TypeError(f"expected a Circuit, got {type(circuit).__name__}")
    a = _row(circuit, angles)
    defs: dict[str, str] = {}
    body: list[str] = []
    for op in circuit.ops:
        vals = [float(a[p.index]) if isinstance(p, ParamRef) else float(p) for p in op.params]
        ps = "(" + ",".join(_num(v) for v in vals) + ")" if vals else ""
        qs = ",".join(f"q[{w}]" for w in op.wires)
        k = len(op.wires)
        name = op.name
        if name in _QELIB:
            body.append(f"{_QELIB[name]}{ps} {qs};")
        elif name in _FIXED_DEFS:
            defs[name] = _FIXED_DEFS[name]
            body.append(f"{name.lower()}{ps} {qs};")
        elif name in _PAULI_GATES:
            defs[name] = _pauli_def(_PAULI_GATES[name], name, k)
            body.append(f"{_PAULI_GATES[name]}{ps} {qs};")
        elif name == "MultiRZ":
            if k == 1:
                body.append(f"rz{ps} {qs};")
            else:
                defs[f"MultiRZ{k}"] = _pauli_def(f"multirz_{k}", "MultiRZ", k)
                body.append(f"multirz_{k}{ps} {qs};")
        elif name == "MultiControlledX":
            if k in (2, 3):
                body.append(f"{'cx' if k == 2 else 'ccx'} {qs};")
            else:
                defs[f"MCX{k}"] = _mcx_def(k)
                body.append(f"mcx_{k} {qs};")
        elif name == "QubitUnitary":
            if k != 1:
                raise QasmError(f"QubitUnitary on {k} wires has no OpenQASM 2.0 form; "
                                "decompose it into gates first")
            t, p, lam = _u3_of(op.matrix)
            body.append(f"u3({_num(t)},{_num(p)},{_num(lam)}) {qs};")
            u = GATES["U3"].matrix([np.array([t]), np.array([p]), np.array([lam])])[0]
            i, j = np.unravel_index(np.argmax(np.abs(u)), u.shape)
            alpha = float(np.angle(op.matrix[i, j] / u[i, j]))
            if abs(alpha) > 1e-12:  # the global phase, exactly: X u1(a) X u1(a) = e^{ia} I
                body.append(f"u1({_num(alpha)}) {qs}; x {qs}; u1({_num(alpha)}) {qs}; "
                            f"x {qs};  // global phase of the QubitUnitary")
        else:  # pragma: no cover - every gate of the table is handled above
            raise QasmError(f"gate {name} has no OpenQASM 2.0 form")
    n = circuit.num_wires
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', *defs.values(), f"qreg q[{n}];"]
    if measure:
        lines.append(f"creg c[{n}];")
    lines += body
    if measure:
        lines.append("measure q -> c;")
    return "\n".join(lines) + "\n"


# ============================================================================ import
_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+) | (?P<nl>\n) | (?P<comment>//[^\n]*)
  | (?P<num>(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*) | (?P<str>"[^"\n]*")
  | (?P<sym>->|==|[;,()\[\]{}+\-*/^])
""", re.VERBOSE)


@dataclass
class _Tok:
    kind: str
    text: str
    line: int


def _tokenize(text: str) -> list[_Tok]:
    toks, line, pos = [], 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise QasmError(f"line {line}: unexpected character {text[pos]!r}")
        kind = m.lastgroup
        if kind == "nl":
            line += 1
        elif kind not in ("ws", "comment"):
            toks.append(_Tok(kind, m.group(), line))
        pos = m.end()
    toks.append(_Tok("eof", "", line))
    return toks


Expr = Callable[[dict[str, float]], float]
_FUNCS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "ln": math.log,
          "sqrt": math.sqrt}


@dataclass
class _GateDef:
    params: list[str]
    qubits: list[str]
    body: list[tuple[str, list[Expr], list[str], int]]  # (name, params, qubits, line)


def _c(name: str) -> Callable[[list[float], list[int]], list[Operation]]:
    return lambda p, w: [Operation(name, tuple(w), tuple(p))]


def _sxdg_matrix() -> np.ndarray:
    return GATES["SX"].matrix([])[0].conj().T


def _csx_matrix() -> np.ndarray:
    m = np.eye(4, dtype=complex)
    m[2:, 2:] = GATES["SX"].matrix([])[0]
    return m


def _cu3(p: list[float], w: list[int], gamma: float = 0.0) -> list[Operation]:
    # C-U3(t, f, l) = phase e^{i(f+l)/2} on the control times C-Rot(l, t, f)
    t, f, lam = p
    return [Operation("PhaseShift", (w[0],), (gamma + (f + lam) / 2,)),
            Operation("CRot", tuple(w), (lam, t, f))]


# qelib1.inc name -> (number of parameters, number of qubits, builder)
_BUILTIN: dict[str, tuple[int, int, Callable[[list[float], list[int]], list[Operation]]]] = {
    "U": (3, 1, _c("U3")), "u3": (3, 1, _c("U3")), "u": (3, 1, _c("U3")),
    "u2": (2, 1, _c("U2")), "u1": (1, 1, _c("U1")), "p": (1, 1, _c("PhaseShift")),
    "u0": (1, 1, lambda p, w: [Operation("I", tuple(w))]), "id": (0, 1, _c("I")),
    "CX": (0, 2, _c("CNOT")), "cx": (0, 2, _c("CNOT")),
    "sxdg": (0, 1, lambda p, w: [Operation("QubitUnitary", tuple(w), (), _sxdg_matrix())]),
    "csx": (0, 2, lambda p, w: [Operation("QubitUnitary", tuple(w), (), _csx_matrix())]),
    "cu1": (1, 2, _c("ControlledPhaseShift")), "cp": (1, 2, _c("ControlledPhaseShift")),
    "cu3": (3, 2, _cu3), "cu": (4, 2, lambda p, w: _cu3(p[:3], w, p[3])),
    "c3x": (0, 4, _c("MultiControlledX")), "c4x": (0, 5, _c("MultiControlledX")),
}
for _name, _q in (("x", "X"), ("y", "Y"), ("z", "Z"), ("h", "H"), ("s", "S"), ("sdg", "Sdg"),
                  ("t", "T"), ("tdg", "Tdg"), ("sx", "SX"), ("rx", "RX"), ("ry", "RY"),
                  ("rz", "RZ"), ("cy", "CY"), ("cz", "CZ"), ("ch", "CH"), ("crx", "CRX"),
                  ("cry", "CRY"), ("crz", "CRZ"), ("swap", "SWAP"), ("cswap", "CSWAP"),
                  ("ccx", "Toffoli"), ("rxx", "RXX"), ("rzz", "RZZ")):
    _g = GATES[_q]
    _BUILTIN[_name] = (_g.num_params, _g.num_wires, _c(_q))


# limits on what a program may make the parser do: nested sub-expressions (each costs a few
# Python frames to parse and evaluate), qubits in all qregs (a broadcast lists them all) and
# operations after expanding gate definitions (a chain of gates each applying the previous
# one twice doubles at every step)
MAX_NESTING = 100
MAX_QUBITS = 1 << 16
MAX_OPS = 10_000_000


def _fold(parts: list[tuple[str, Expr, int]]) -> Expr:
    """A chain ``a op b op c ...`` (left-associative) evaluated in a loop, not as nested
    closures: a long sum must not hit the recursion limit."""
    if len(parts) == 1:
        return parts[0][1]

    def run(e: dict[str, float]) -> float:
        v = parts[0][1](e)
        for op, f, line in parts[1:]:
            b = f(e)
            if op == "+":
                v = v + b
            elif op == "-":
                v = v - b
            elif op == "*":
                v = v * b
            else:
                v = _div(v, b, line)
        return v
    return run


def _pow(a: float, b: float, line: int) -> float:
    shown = f"({a!r})^{b!r}" if a < 0 else f"{a!r}^{b!r}"
    try:
        v = a ** b
    except (OverflowError, ZeroDivisionError) as exc:
        why = "overflows a float" if isinstance(exc, OverflowError) else "divides by zero"
        raise QasmError(f"line {line}: {shown} {why}") from None
    if isinstance(v, complex):
        raise QasmError(f"line {line}: {shown} is not a real number (a negative base to a "
                        "fractional power)")
    return v


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0  # of sub-expressions being parsed
        self.qregs: dict[str, tuple[int, int]] = {}  # name -> (offset, size)
        self.cregs: dict[str, int] = {}
        self.gates: dict[str, _GateDef] = {}
        self.ops: list[Operation] = []
        self.nq = 0

    # ------------------------------------------------------------ token helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def err(self, msg: str, tok: _Tok | None = None) -> QasmError:
        return QasmError(f"line {(tok or self.tok).line}: {msg}")

    def next(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> _Tok:
        t = self.tok
        if t.text != text:
            found = "end of input" if t.kind == "eof" else repr(t.text)
            raise self.err(f"expected {text!r}, found {found}")
        return self.next()

    def ident(self, what: str) -> _Tok:
        t = self.tok
        if t.kind != "id":
            found = "end of input" if t.kind == "eof" else repr(t.text)
            raise self.err(f"expected {what}, found {found}")
        return self.next()

    def integer(self) -> int:
        t = self.tok
        if t.kind != "num" or not t.text.isdigit():
            raise self.err(f"expected a non-negative integer, found {t.text!r}")
        self.next()
        return int(t.text)

    # ------------------------------------------------------------ expressions
    def expr(self) -> Expr:
        parts = [("+", self.term(), 0)]
        while self.tok.text in ("+", "-"):
            t = self.next()
            parts.append((t.text, self.term(), t.line))
        return _fold(parts)

    def term(self) -> Expr:
        parts = [("*", self.unary(), 0)]
        while self.tok.text in ("*", "/"):
            t = self.next()
            parts.append((t.text, self.unary(), t.line))
        return _fold(parts)

    def unary(self) -> Expr:
        if self.depth >= MAX_NESTING:
            raise self.err(f"expression nested more than {MAX_NESTING} levels deep "
                           "(parentheses, signs or powers); simplify it")
        self.depth += 1
        try:
            return self._unary()
        finally:
            self.depth -= 1

    def _unary(self) -> Expr:
        if self.tok.text == "-":
            self.next()
            inner = self.unary()
            return lambda e: -inner(e)
        if self.tok.text == "+":
            self.next()
            return self.unary()
        base = self.primary()
        if self.tok.text == "^":
            line = self.next().line
            ex = self.unary()
            return lambda e: _pow(base(e), ex(e), line)
        return base

    def primary(self) -> Expr:
        t = self.tok
        if t.kind == "num":
            self.next()
            v = float(t.text)
            return lambda e: v
        if t.text == "(":
            self.next()
            inner = self.expr()
            self.expect(")")
            return inner
        if t.kind == "id":
            self.next()
            if t.text == "pi":
                return lambda e: math.pi
            if t.text in _FUNCS:
                f = _FUNCS[t.text]
                self.expect("(")
                arg = self.expr()
                self.expect(")")

                def call(e: dict[str, float], f=f, arg=arg, line=t.line, name=t.text) -> float:
                    try:
                        return f(arg(e))
                    except (ValueError, OverflowError):
                        raise QasmError(f"line {line}: {name}() of an invalid value") from None
                return call

            def var(e: dict[str, float], name=t.text, line=t.line) -> float:
                if name not in e:
                    raise QasmError(f"line {line}: unknown identifier {name!r} in an expression")
                return e[name]
            return var
        found = "end of input" if t.kind == "eof" else repr(t.text)
        raise self.err(f"expected an expression, found {found}")

    def expr_list(self) -> list[Expr]:
        out = [self.expr()]
        while self.tok.text == ",":
            self.next()
            out.append(self.expr())
        return out

    # ------------------------------------------------------------ statements
    def parse(self) -> Circuit:
        t = self.tok
        if t.text != "OPENQASM":
            raise self.err("a program must start with 'OPENQASM 2.0;'")
        self.next()
        v = self.tok
        if v.kind != "num" or not v.text.startswith("2"):
            raise self.err(f"only OpenQASM 2.x is supported, got version {v.text!r}")
        self.next()
        self.expect(";")
        while self.tok.kind != "eof":
            self.statement()
        if not self.qregs:
            raise QasmError("the program declares no qreg")
        return Circuit(self.nq, self.ops)

    def statement(self) -> None:
        t = self.tok
        kw = t.text
        if kw == "include":
            self.next()
            s = self.tok
            if s.kind != "str":
                raise self.err("include needs a file name in double quotes")
            self.next()
            if s.text.strip('"') != "qelib1.inc":
                raise self.err(f"cannot include {s.text}: only \"qelib1.inc\" is built in", s)
            self.expect(";")
        elif kw in ("qreg", "creg"):
            self.next()
            name = self.ident("a register name")
            self.expect("[")
            size = self.integer()
            self.expect("]")
            self.expect(";")
            if size < 1:
                raise self.err(f"register {name.text} must have at least one bit", name)
            if name.text in self.qregs or name.text in self.cregs:
                raise self.err(f"register {name.text!r} is declared twice", name)
            if kw == "qreg":
                if self.nq + size > MAX_QUBITS:
                    raise self.err(f"qreg {name.text}[{size}] takes the program past "
                                   f"{MAX_QUBITS} qubits", name)
                self.qregs[name.text] = (self.nq, size)
                self.nq += size
            else:
                self.cregs[name.text] = size
        elif kw == "gate":
            self.gate_def()
        elif kw == "opaque":
            raise self.err("opaque gates have no definition and cannot be simulated")
        elif kw == "measure":
            self.next()
            q = self.qarg()
            self.expect("->")
            self.carg()
            self.expect(";")
            del q
        elif kw == "barrier":
            self.next()
            self.qargs()
            self.expect(";")
        elif kw == "reset":
            raise self.err("reset is not supported (circuits are unitary up to the end)")
        elif kw == "if":
            raise self.err("classically controlled gates (if) are not supported")
        elif t.kind == "id":
            self.application()
        else:
            found = "end of input" if t.kind == "eof" else repr(t.text)
            raise self.err(f"expected a statement, found {found}")

    def qarg(self) -> list[int]:
        name = self.ident("a qubit register")
        if name.text not in self.qregs:
            raise self.err(f"unknown qreg {name.text!r}", name)
        off, size = self.qregs[name.text]
        if self.tok.text == "[":
            self.next()
            idx = self.integer()
            self.expect("]")
            if idx >= size:
                raise self.err(f"index {idx} is out of range for qreg {name.text}[{size}]", name)
            return [off + idx]
        return list(range(off, off + size))

    def carg(self) -> None:
        name = self.ident("a classical register")
        if name.text not in self.cregs:
            raise self.err(f"unknown creg {name.text!r}", name)
        if self.tok.text == "[":
            self.next()
            idx = self.integer()
            self.expect("]")
            if idx >= self.cregs[name.text]:
                raise self.err(f"index {idx} is out of range for creg "
                               f"{name.text}[{self.cregs[name.text]}]", name)

    def qargs(self) -> list[list[int]]:
        out = [self.qarg()]
        while self.tok.text == ",":
            self.next()
            out.append(self.qarg())
        return out

    def arity(self, name: str) -> tuple[int, int] | None:
        if name in self.gates:
            g = self.gates[name]
            return len(g.params), len(g.qubits)
        if name in _BUILTIN:
            return _BUILTIN[name][:2]
        return None

    def gate_def(self) -> None:
        self.next()
        name = self.ident("a gate name")
        params: list[str] = []
        if self.tok.text == "(":
            self.next()
            if self.tok.text != ")":
                params.append(self.ident("a parameter name").text)
                while self.tok.text == ",":
                    self.next()
                    params.append(self.ident("a parameter name").text)
            self.expect(")")
        qubits = [self.ident("a qubit argument").text]
        while self.tok.text == ",":
            self.next()
            qubits.append(self.ident("a qubit argument").text)
        if len(set(qubits)) != len(qubits):
            raise self.err(f"gate {name.text}: repeated qubit argument", name)
        self.expect("{")
        body = []
        while self.tok.text != "}":
            t = self.tok
            if t.kind == "eof":
                raise self.err(f"gate {name.text}: missing '}}'")
            gname = self.ident("a gate application").text
            if gname == "barrier":
                while self.tok.text != ";":
                    self.next()
                self.next()
                continue
            ar = self.arity(gname)
            if ar is None:
                raise self.err(f"unknown gate {gname!r} in the definition of {name.text}", t)
            exprs = []
            if self.tok.text == "(":
                self.next()
                exprs = self.expr_list() if self.tok.text != ")" else []
                self.expect(")")
            args = [self.ident("a qubit argument").text]
            while self.tok.text == ",":
                self.next()
                args.append(self.ident("a qubit argument").text)
            self.expect(";")
            bad = [a for a in args if a not in qubits]
            if bad:
                raise self.err(f"gate {name.text}: unknown qubit argument {bad[0]!r}", t)
            if ar != (len(exprs), len(args)):
                raise self.err(f"{gname} takes {ar[0]} parameter(s) and {ar[1]} qubit(s), got "
                               f"{len(exprs)} and {len(args)}", t)
            body.append((gname, exprs, args, t.line))
        self.next()
        if name.text in self.gates:
            raise self.err(f"gate {name.text!r} is defined twice", name)
        self.gates[name.text] = _GateDef(params, qubits, body)

    def application(self) -> None:
        t = self.next()
        name = t.text
        ar = self.arity(name)
        if ar is None:
            raise self.err(f"unknown gate {name!r} (not in qelib1.inc and not defined with "
                           "'gate')", t)
        vals: list[float] = []
        if self.tok.text == "(":
            self.next()
            exprs = self.expr_list() if self.tok.text != ")" else []
            self.expect(")")
            vals = [ex({}) for ex in exprs]
        args = self.qargs()
        self.expect(";")
        if ar != (len(vals), len(args)):
            raise self.err(f"{name} takes {ar[0]} parameter(s) and {ar[1]} qubit(s), got "
                           f"{len(vals)} and {len(args)}", t)
        sizes = {len(a) for a in args if len(a) > 1}
        if len(sizes) > 1:
            raise self.err(f"{name}: registers of different sizes {sorted(sizes)}", t)
        n = sizes.pop() if sizes else 1
        for j in range(n):
            ws = [a[j] if len(a) > 1 else a[0] for a in args]
            self.apply(name, vals, ws, t.line)

    def apply(self, name: str, vals: list[float], wires: list[int], line: int) -> None:
        if len(set(wires)) != len(wires):
            raise QasmError(f"line {line}: {name} is applied to the same qubit twice")
        if not all(math.isfinite(v) for v in vals):
            raise QasmError(f"line {line}: {name} has a non-finite parameter")
        if name in self.gates:
            g = self.gates[name]
            env = dict(zip(g.params, vals))
            qmap = dict(zip(g.qubits, wires))
            for gname, exprs, args, bline in g.body:
                self.apply(gname, [ex(env) for ex in exprs], [qmap[a] for a in args], bline)
            return
        if len(self.ops) >= MAX_OPS:
            raise QasmError(f"line {line}: the program expands to more than {MAX_OPS} "
                            "operations")
        self.ops.extend(_BUILTIN[name][2](vals, wires))


def _div(a: float, b: float, line: int) -> float:
    if b == 0:
        raise QasmError(f"line {line}: division by zero")
    return a / b


def from_qasm(text: str) -> Circuit:
    """Parse an OpenQASM 2.0 program into a :class:`Circuit` (all angles constant; qregs are
    laid out one after another in declaration order).

    >>> c = from_qasm('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0],q[1];')
    >>> [op.name for op in c.ops], c.num_wires
    (['H', 'CNOT'], 2)
    """
    if not isinstance(text, str):
        raise TypeError(f"from_qasm needs the program text (str), got {type(text).__name__}")
    p = _Parser(text)
    try:
        return p.parse()
    except RecursionError:  # a backstop: the limits above keep well below Python's
        raise QasmError(f"line {p.tok.line}: the program is nested too deeply to "
                        "parse") from None
