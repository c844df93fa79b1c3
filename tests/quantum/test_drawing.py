"""Circuit drawings: exact text output, PNG files, QuantumLayer.draw."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.qnn import QuantumLayer
from vqnet_core.quantum import (
    GATES,
    Circuit,
    Expval,
    Operation,
    ParamRef,
    Probs,
    State,
    draw_mpl,
    draw_text,
)

from .conftest import random_circuit

PNG = b"\x89PNG\r\n\x1a\n"


def _bell_ry():
    return Circuit(3, [Operation("H", (0,)), Operation("CNOT", (0, 2)),
                       Operation("RY", (1,), (ParamRef(0),)), Operation("CRZ", (2, 0), (0.25,)),
                       Operation("SWAP", (1, 2))])


def test_text_exact():
    c = _bell_ry()
    text = draw_text(c, measurements=[Expval("Z0"), Expval({"Z1 Z2": 1.0}), Probs([2])])
    expected = "\n".join([
        "0: ──H──●──────────RZ(0.25)─────┤ ⟨Z⟩",
        "        │             │",
        "1: ─────┼──RY(θ0)─────┼──────×──┤ ⟨Z@Z⟩",
        "        │             │      │",
        "2: ─────⊕─────────────●──────×──┤ ⟨Z@Z⟩ Probs",
    ])
    assert text == expected
    assert c.draw(measurements=[Expval("Z0"), Expval({"Z1 Z2": 1.0}), Probs([2])]) == expected


def test_text_angles_ascii_and_no_measurements():
    c = _bell_ry()
    text = draw_text(c, angles=np.array([[0.5], [0.7]]), ascii=True, decimals=1)
    assert text.splitlines() == [
        "0: --H--*-----------RZ(0.2)-----",
        "        |              |",
        "1: -----+--RY(0.5)-----+-----x--",
        "        |              |     |",
        "2: -----X--------------*-----x--",
    ]
    assert all(ord(ch) < 128 for ch in text)


def test_text_weighted_hamiltonian_and_state():
    c = Circuit(2, [Operation("RZZ", (0, 1), (ParamRef(0),))])
    text = draw_text(c, measurements=[Expval({"Z0 Z1": 0.5, "X1": 1.0}), State()])
    lines = text.splitlines()
    assert lines[0] == "0: ──RZZ(θ0)──┤ ⟨H⟩ State"
    assert lines[1].strip() == "│"
    assert lines[2] == "1: ──RZZ(θ0)──┤ ⟨H⟩ State"


def test_every_gate_draws(rng):
    c, _, S = random_circuit(rng, 5, len(GATES) + 10)
    text = draw_text(c, angles=rng.uniform(size=S), measurements=[Probs()])
    lines = text.splitlines()
    assert len(lines) == 2 * 5 - 1
    # every wire row has the same length up to the measurement marker
    ends = {line.index("┤") for line in lines[::2]}
    assert len(ends) == 1
    for op in c.ops:
        if op.name not in ("CNOT", "Toffoli", "SWAP", "CZ", "CY", "CH", "CCZ", "CSWAP",
                           "MultiControlledX"):
            short = {"PhaseShift": "P", "ControlledPhaseShift": "P", "QubitUnitary": "U",
                     "CRX": "RX", "CRY": "RY", "CRZ": "RZ", "CRot": "Rot", "Sdg": "S†",
                     "Tdg": "T†"}.get(op.name, op.name)
            assert short in text


def test_bad_input():
    with pytest.raises(TypeError, match="Circuit"):
        draw_text("not a circuit")
    c = Circuit(1, [Operation("RX", (0,), (ParamRef(2),))])
    with pytest.raises(ValueError, match="angle column 2"):
        draw_text(c, angles=[0.1])
    with pytest.raises(ValueError, match="angles must be"):
        draw_text(c, angles=np.zeros((1, 1, 3)))


def test_png_written(tmp_path, rng):
    pytest.importorskip("matplotlib")
    c, _, S = random_circuit(rng, 4, 12)
    p = draw_mpl(c, tmp_path / "c.png", measurements=[Expval("Z0"), Probs([1, 2])],
                 title="random", dpi=50)
    data = open(p, "rb").read()
    assert data[:8] == PNG and len(data) > 2000


def test_layer_draw(tmp_path):
    def circ(q, x, w):
        q.h(0)
        q.ry(0, x[:, 0])
        q.crx(0, 1, w[0])
        q.expval({"Z0": 1.0})
        q.expval({"Z1": 1.0})

    vq.manual_seed(0)
    layer = QuantumLayer(circ, 2, 1)
    w = float(layer.weights.numpy()[0])
    text = layer.draw(vq.tensor([[0.5], [0.1]]))
    assert text.splitlines()[0] == "0: ──H──RY(0.50)─────●──────┤ ⟨Z⟩"
    assert f"RX({w:.2f})" in text.splitlines()[2]
    pytest.importorskip("matplotlib")
    p = layer.draw(vq.tensor([[0.5]]), path=tmp_path / "layer.png")
    assert open(p, "rb").read()[:8] == PNG
