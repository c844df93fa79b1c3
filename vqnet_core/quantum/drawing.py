"""Circuit drawings: text (one line per wire) and a matplotlib figure saved as PNG.

Gates are packed into columns (a gate spanning wires ``a..b`` takes a column of its own on every
wire in between, so its vertical connector crosses nothing); controls are ``●``, X targets ``⊕``,
SWAP ends ``×``; angle references read ``θk`` (column ``k`` of the angle array) unless the angles
are given, then their values. Measurements close each wire after ``┤``.

>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval
>>> c = Circuit(2, [Operation("H", (0,)), Operation("CNOT", (0, 1)),
...                 Operation("RY", (1,), (ParamRef(0),))])
>>> print(draw_text(c, measurements=[Expval("Z1")]))
0: ──H──●──────────┤
        │
1: ─────⊕──RY(θ0)──┤ ⟨Z⟩
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .circuit import Circuit, Measurement, ParamRef

# gate -> (number of control wires, label of the target part or None for the gate's own label)
_CONTROLLED = {
    "CNOT": (1, "⊕"), "Toffoli": (2, "⊕"), "CY": (1, "Y"), "CZ": (1, "Z"), "CH": (1, "H"),
    "CCZ": (2, "Z"), "CRX": (1, None), "CRY": (1, None), "CRZ": (1, None), "CRot": (1, None),
    "ControlledPhaseShift": (1, None), "CSWAP": (1, "×"),
}
_SHORT = {"PhaseShift": "P", "ControlledPhaseShift": "P", "QubitUnitary": "U", "CRX": "RX",
          "CRY": "RY", "CRZ": "RZ", "CRot": "Rot", "Sdg": "S†", "Tdg": "T†"}
_ASCII = str.maketrans({"─": "-", "│": "|", "┼": "+", "┤": "|", "●": "*", "⊕": "X",
                        "×": "x", "⟨": "<", "⟩": ">", "θ": "t", "†": "^", "@": "@"})


@dataclass
class _Cell:
    """What one operation draws: a label per wire it touches, the span it connects."""

    labels: dict[int, str]
    lo: int
    hi: int
    kind: str = "box"  # "box" | "ctrl" | "target" | "swap" per wire (see _symbols)


def _angle_values(angles: Any) -> np.ndarray | None:
    if angles is None:
        return None
    if hasattr(angles, "numpy"):
        angles = angles.numpy()
    a = np.asarray(angles, dtype=np.float64)
    if a.ndim == 2:
        a = a[0]  # the first sample of a batch
    if a.ndim != 1:
        raise ValueError(f"angles must be [S] or [B, S], got shape {a.shape}")
    return a


def _fmt_param(p: ParamRef | float, angles: np.ndarray | None, decimals: int) -> str:
    if isinstance(p, ParamRef):
        if angles is None:
            return f"θ{p.index}"
        if p.index >= len(angles):
            raise ValueError(f"the circuit refers to angle column {p.index}, but only "
                             f"{len(angles)} angles were given")
        p = float(angles[p.index])
    return f"{p:.{decimals}f}"


def _label(op: Any, angles: np.ndarray | None, decimals: int) -> str:
    name = _SHORT.get(op.name, op.name)
    if not op.params:
        return name
    return name + "(" + ",".join(_fmt_param(p, angles, decimals) for p in op.params) + ")"


def _symbols(op: Any, angles: np.ndarray | None, decimals: int) -> dict[int, str]:
    """The text symbol drawn on each wire of ``op``."""
    ws = op.wires
    if op.name in _CONTROLLED:
        nc, target = _CONTROLLED[op.name]
    elif op.name == "MultiControlledX":
        nc, target = len(ws) - 1, "⊕"
    elif op.name == "SWAP":
        return {w: "×" for w in ws}
    else:
        lab = _label(op, angles, decimals)
        return {w: lab for w in ws}
    out = {w: "●" for w in ws[:nc]}
    lab = target if target is not None else _label(op, angles, decimals)
    out.update({w: lab for w in ws[nc:]})
    return out


def _meas_labels(measurements: Sequence[Measurement], n: int) -> dict[int, list[str]]:
    """Labels drawn after ``┤`` on each wire, in the order of the measurements."""
    out: dict[int, list[str]] = {w: [] for w in range(n)}
    for m in measurements:
        if m.kind == "expval":
            terms = m.observable.terms
            if len(terms) == 1 and terms[0][0] == 1.0 and terms[0][1]:
                term = terms[0][1]
                lab = "⟨" + "@".join(p for _, p in term) + "⟩"
                for w, _ in term:
                    out[w].append(lab)
                continue
            ws, lab = m.observable.wires or tuple(range(n)), "⟨H⟩"
        else:
            ws = m.wires if m.wires is not None else tuple(range(n))
            lab = m.kind.capitalize()
        for w in ws:
            if w < n:
                out[w].append(lab)
    return out


def layout(circuit: Circuit, angles: Any = None,
           decimals: int = 2) -> list[list[tuple[Any, dict[int, str]]]]:
    """Columns of ``(operation, symbols per wire)``: no two operations of a column overlap in
    the wire range they span."""
    if not isinstance(circuit, Circuit):
        raise TypeError(f"expected a Circuit, got {type(circuit).__name__}")
    a = _angle_values(angles)
    nxt = [0] * circuit.num_wires
    cols: list[list[tuple[Any, dict[int, str]]]] = []
    for op in circuit.ops:
        lo, hi = min(op.wires), max(op.wires)
        if hi >= circuit.num_wires:
            raise ValueError(f"{op.name} on wire {hi}: out of range for {circuit.num_wires} "
                             "wires")
        c = max(nxt[lo:hi + 1])
        for w in range(lo, hi + 1):
            nxt[w] = c + 1
        if c == len(cols):
            cols.append([])
        cols[c].append((op, _symbols(op, a, decimals)))
    return cols


def draw_text(circuit: Circuit, angles: Any = None,
              measurements: Sequence[Measurement] | None = None, decimals: int = 2,
              ascii: bool = False) -> str:
    """The circuit as text: one line per wire, a connector line between wires.

    ``angles``: ``[S]`` or ``[B, S]`` values to print instead of ``θk`` (the first row of a
    batch). ``measurements``: drawn after ``┤``. ``ascii``: only ASCII characters.

    >>> from vqnet_core.quantum import Circuit, Operation
    >>> print(draw_text(Circuit(2, [Operation("SWAP", (0, 1))]), ascii=True))
    0: --x--
         |
    1: --x--
    """
    if not isinstance(circuit, Circuit):
        raise TypeError(f"expected a Circuit, got {type(circuit).__name__}")
    n = circuit.num_wires
    cols = layout(circuit, angles, decimals)
    meas = _meas_labels(measurements or (), n)
    has_meas = any(meas.values())
    pad = len(str(n - 1))
    rows = [f"{w:>{pad}}: ─" for w in range(n)]
    gaps = [" " * len(rows[0]) for _ in range(n - 1)]
    for col in cols:
        width = max(len(s) for _, syms in col for s in syms.values())
        cells = ["─" * (width + 2)] * n
        gcells = [" " * (width + 2)] * (n - 1)
        mid = 1 + (width - 1) // 2
        for op, syms in col:
            lo, hi = min(op.wires), max(op.wires)
            for w, s in syms.items():
                left = 1 + (width - len(s)) // 2
                cells[w] = "─" * left + s + "─" * (width + 2 - left - len(s))
            for w in range(lo, hi + 1):
                if w not in syms:
                    cells[w] = "─" * mid + "┼" + "─" * (width + 1 - mid)
                if w < hi:
                    gcells[w] = " " * mid + "│" + " " * (width + 1 - mid)
        rows = [r + c for r, c in zip(rows, cells)]
        gaps = [g + c for g, c in zip(gaps, gcells)]
    if has_meas:
        rows = [r + "─┤" + (" " + " ".join(meas[w]) if meas[w] else "")
                for w, r in enumerate(rows)]
    else:
        rows = [r + "─" for r in rows]
    lines: list[str] = []
    for w in range(n):
        lines.append(rows[w])
        if w < n - 1:
            lines.append(gaps[w])
    text = "\n".join(line.rstrip() for line in lines)
    return text.translate(_ASCII) if ascii else text


def draw_mpl(circuit: Circuit, path: str | os.PathLike, angles: Any = None,
             measurements: Sequence[Measurement] | None = None, decimals: int = 2,
             dpi: int = 120, title: str | None = None) -> str:
    """Save a matplotlib drawing of the circuit as a PNG; returns the path written.

    Uses matplotlib's Agg canvas directly (no pyplot, no display). Needs matplotlib:
    ``pip install "vqnet[plot]"``.

    >>> from vqnet_core.quantum import Circuit, Operation
    >>> import tempfile, os
    >>> p = draw_mpl(Circuit(1, [Operation("H", (0,))]), os.path.join(tempfile.mkdtemp(), "c.png"))
    >>> open(p, "rb").read(4)
    b'\\x89PNG'
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Circle, Rectangle
    except ImportError as exc:
        raise ImportError('draw_mpl needs matplotlib; install it with: '
                          'pip install "vqnet[plot]"') from exc
    if not isinstance(circuit, Circuit):
        raise TypeError(f"expected a Circuit, got {type(circuit).__name__}")
    n = circuit.num_wires
    cols = layout(circuit, angles, decimals)
    meas = _meas_labels(measurements or (), n)
    has_meas = any(meas.values())
    # column widths in data units from the longest label (about 0.11 per character)
    widths = [max(0.8, 0.13 * max(len(s) for _, syms in col for s in syms.values()) + 0.3)
              for col in cols]
    xs, x = [], 0.6
    for wd in widths:
        xs.append(x + wd / 2)
        x += wd + 0.25
    x_end = x + (1.6 if has_meas else 0.2)
    fig = Figure(figsize=(max(3.0, 0.9 * x_end + 0.6), max(1.2, 0.75 * n + 0.5)))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.4, x_end + 0.2)
    ax.set_ylim(-(n - 1) - 0.6, 0.6 + (0.3 if title else 0))
    ax.axis("off")
    ax.set_aspect("auto")
    y = [-w for w in range(n)]
    for w in range(n):
        ax.plot([0.2, x_end - (1.4 if meas[w] else 0)], [y[w], y[w]], color="black", lw=1,
                zorder=1)
        ax.text(0.1, y[w], f"q{w}", ha="right", va="center", fontsize=11)
    box = dict(facecolor="#e8f0fe", edgecolor="#1a4d8f", lw=1.2, zorder=3)
    for cx, wd, col in zip(xs, widths, cols):
        for op, syms in col:
            lo, hi = min(op.wires), max(op.wires)
            if hi > lo:
                ax.plot([cx, cx], [y[lo], y[hi]], color="#1a4d8f", lw=1.5, zorder=2)
            boxed = [w for w, s in syms.items() if s not in ("●", "⊕", "×")]
            for w, s in syms.items():
                if s == "●":
                    ax.add_patch(Circle((cx, y[w]), 0.09, color="#1a4d8f", zorder=4))
                elif s == "⊕":
                    ax.add_patch(Circle((cx, y[w]), 0.18, facecolor="white",
                                        edgecolor="#1a4d8f", lw=1.5, zorder=4))
                    ax.plot([cx - 0.18, cx + 0.18], [y[w], y[w]], color="#1a4d8f", lw=1.5,
                            zorder=5)
                    ax.plot([cx, cx], [y[w] - 0.18, y[w] + 0.18], color="#1a4d8f", lw=1.5,
                            zorder=5)
                elif s == "×":
                    ax.plot([cx - 0.12, cx + 0.12], [y[w] - 0.12, y[w] + 0.12],
                            color="#1a4d8f", lw=2, zorder=4)
                    ax.plot([cx - 0.12, cx + 0.12], [y[w] + 0.12, y[w] - 0.12],
                            color="#1a4d8f", lw=2, zorder=4)
            if not boxed:
                continue
            # a multi-wire gate whose wires are all labelled (RZZ, MultiRZ...) gets one box
            groups = [boxed] if len(boxed) == len(op.wires) and len(boxed) > 1 and \
                _contiguous(boxed) else [[w] for w in boxed]
            for g in groups:
                top, bot = y[min(g)], y[max(g)]
                ax.add_patch(Rectangle((cx - wd / 2, bot - 0.3), wd, top - bot + 0.6, **box))
                ax.text(cx, (top + bot) / 2, syms[g[0]], ha="center", va="center",
                        fontsize=10, zorder=6)
    if has_meas:
        for w in range(n):
            if meas[w]:
                ax.add_patch(Rectangle((x_end - 1.4, y[w] - 0.3), 1.3, 0.6, facecolor="#fff4e0",
                                       edgecolor="#a05a00", lw=1.2, zorder=3))
                ax.text(x_end - 0.75, y[w], " ".join(meas[w]), ha="center", va="center",
                        fontsize=9, zorder=6)
    if title:
        ax.text(x_end / 2, 0.65, title, ha="center", va="center", fontsize=12)
    path = os.fspath(path)
    fig.savefig(path, dpi=dpi, format="png", facecolor="white")
    return path


def _contiguous(ws: Sequence[int]) -> bool:
    s = sorted(ws)
    return s == list(range(s[0], s[-1] + 1))


def draw_layer(layer: Any, x: Any = None, path: str | os.PathLike | None = None,
               symbolic: bool = False, **kwargs: Any) -> str:
    """Draw the circuit a QuantumLayer records for input ``x`` (the first sample's angles):
    the text drawing, or with ``path`` a PNG (returns the path). ``symbolic``: show the angle
    references ``θk`` instead of their values.

    >>> import vqnet_core as vq
    >>> from vqnet_core.qnn import QuantumLayer
    >>> def circ(q, x, w):
    ...     q.h(0); q.ry(0, x[:, 0]); q.expval({"Z0": 1.0})
    >>> print(draw_layer(QuantumLayer(circ, 1), vq.tensor([[0.5]])))
    0: ──H──RY(0.50)──┤ ⟨Z⟩
    >>> print(draw_layer(QuantumLayer(circ, 1), vq.tensor([[0.5]]), symbolic=True))
    0: ──H──RY(θ0)──┤ ⟨Z⟩
    """
    from ..tensor import QTensor

    if x is not None and not isinstance(x, QTensor):
        x = QTensor(np.asarray(x, dtype=np.float64))
    q = layer.record(x)
    circuit, angles, ms = q.build()
    a = None if symbolic else angles.numpy()
    if path is not None:
        return draw_mpl(circuit, path, a, ms, **kwargs)
    return draw_text(circuit, a, ms, **kwargs)
