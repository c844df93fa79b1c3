"""Bad input to the quantum side (QASM, machines, observables, layers, templates): errors
name the problem, and nothing allocates what cannot fit (issue 9)."""

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.qnn import QuantumLayer
from vqnet_core.qnn.templates import AmplitudeEmbeddingCircuit
from vqnet_core.quantum import (
    Circuit,
    Density,
    Expval,
    MachineError,
    Operation,
    ParamRef,
    Probs,
    Sample,
    from_qasm,
    get_machine,
)
from vqnet_core.quantum.qasm import QasmError

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\n'  # the gate is on line 4




@pytest.fixture
def no_limit(monkeypatch):
    monkeypatch.delenv("VQNET_MAX_STATE_BYTES", raising=False)


# ---------------------------------------------------------------- QASM
@pytest.mark.parametrize("expr", ["(" * 5000 + "1" + ")" * 5000, "-" * 5000 + "1",
                                  "2^" * 5000 + "1"])
def test_qasm_deeply_nested_expression_names_the_line(expr):
    with pytest.raises(QasmError, match=r"^line 4: expression nested more than 100 levels"):
        from_qasm(HEAD + f"rx({expr}) q[0];")


def test_qasm_long_flat_sum_is_fine():
    c = from_qasm(HEAD + "rx(" + "+".join(["0.001"] * 5000) + ") q[0];")
    assert c.ops[0].params[0] == pytest.approx(5.0)


@pytest.mark.parametrize("expr, why", [
    ("10^10^10", r"line 4: 10\.0\^10000000000\.0 overflows a float"),
    ("0^-1", r"line 4: 0\.0\^-1\.0 divides by zero"),
    ("(-8)^(1/3)", r"line 4: \(-8\.0\)\^0\.333\d* is not a real number"),
    ("1e999", r"line 4: rx has a non-finite parameter"),
])
def test_qasm_arithmetic_errors_name_the_line(expr, why):
    with pytest.raises(QasmError, match=why):
        from_qasm(HEAD + f"rx({expr}) q[0];")


def test_qasm_overflow_inside_a_gate_body_names_the_body_line():
    text = HEAD + "gate g(t) a {\n rx(t^t) a;\n}\ng(1000) q[0];"
    with pytest.raises(QasmError, match=r"^line 5: 1000\.0\^1000\.0 overflows"):
        from_qasm(text)


def test_qasm_gate_defined_twice_is_an_error_not_a_recursion():
    text = HEAD + "gate g a { x a; }\ngate g a { g a; }\ng q[0];"
    with pytest.raises(QasmError, match=r"line 5: gate 'g' is defined twice"):
        from_qasm(text)


def test_qasm_exponential_gate_expansion_is_capped(monkeypatch):
    from vqnet_core.quantum import qasm
    monkeypatch.setattr(qasm, "MAX_OPS", 1000)
    defs = "gate g0 a { x a; }\n" + "".join(f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n"
                                             for i in range(1, 40))
    with pytest.raises(QasmError, match="expands to more than 1000 operations"):
        from_qasm(HEAD + defs + "g39 q[0];")


def test_qasm_huge_register_is_refused():
    with pytest.raises(QasmError, match=r"line 2: qreg q\[1000000000000\] takes the program "
                                        r"past 65536 qubits"):
        from_qasm('OPENQASM 2.0;\nqreg q[1000000000000];\nh q;')


# ---------------------------------------------------------------- machine memory
def _rx(n):
    return Circuit(n, [Operation("RX", (0,), (ParamRef(0),))])


@pytest.mark.parametrize("machine", ["statevector", "density_matrix"])
def test_run_that_cannot_fit_is_refused_before_allocating(machine, monkeypatch, backend):
    monkeypatch.setenv("VQNET_MAX_STATE_BYTES", "100000")
    m = get_machine(machine)
    n = 8 if machine == "statevector" else 4  # 2^8 amplitudes, 4^4 entries
    with pytest.raises(MachineError, match=rf"machine '{machine}': {n} wires x batch 64 x "
                                           r"complex128 needs about 786432 bytes \(768\.0 KiB: "
                                           r"3 x the .*\[64, 256\] of 262144 bytes\), more than "
                                           r"the 100000 bytes .* VQNET_MAX_STATE_BYTES=100000; "
                                           r"use fewer wires or a smaller batch"):
        m.execute(_rx(n), np.zeros((64, 1)), [Expval("Z0")])
    assert m.execute(_rx(n), np.zeros((2, 1)), [Expval("Z0")])[0].shape == (2,)


def test_26_wires_at_a_big_batch_is_refused_against_available_memory(monkeypatch, no_limit):
    from vqnet_core.quantum import machine as mm
    monkeypatch.setattr(mm, "available_memory", lambda: 2**34)  # 16 GiB
    sv = get_machine("statevector")
    with pytest.raises(MachineError, match=r"26 wires x batch 1024 x complex128 needs about "
                                           r"3298534883328 bytes \(3\.0 TiB.*more than the "
                                           r"17179869184 bytes \(16\.0 GiB\) of memory "
                                           r"available.*or dtype='complex64'"):
        sv.execute(_rx(26), np.zeros((1024, 1)), [Expval("Z0")])
    with pytest.raises(MachineError, match="13 wires x batch 64 x complex64 needs about "
                                           "103079215104 bytes"):
        get_machine("density_matrix").execute(_rx(13), np.zeros((64, 1)), [Expval("Z0")],
                                              dtype="complex64")


def test_density_measurement_and_adjoint_are_in_the_estimate(monkeypatch):
    monkeypatch.setenv("VQNET_MAX_STATE_BYTES", str(3 * 64 * 16 * 8))
    sv = get_machine("statevector")
    a = np.zeros((8, 1))
    sv.execute(_rx(6), a, [Expval("Z0")])  # 3 states of 8 x 64 complex128: fits exactly
    with pytest.raises(MachineError, match=r"the density matrices of 524288 bytes"):
        sv.execute(_rx(6), a, [Density()])
    with pytest.raises(MachineError, match=r"4 x the state \[8, 64\]"):
        sv.vjp(_rx(6), a, [Expval("Z0")], [np.ones(8)])


def test_the_limit_reaches_layers_on_the_prevalidated_path(monkeypatch, backend):
    def fn(q, x, w):
        q.rx(0, x[:, 0])
        return q.expval("Z0")
    layer = QuantumLayer(fn, 8)
    layer(vq.zeros((2, 1)))  # validated once; later calls take the fast path
    monkeypatch.setenv("VQNET_MAX_STATE_BYTES", "100000")
    with pytest.raises(MachineError, match="8 wires x batch 64"):
        layer(vq.zeros((64, 1)))


def test_available_memory_is_known_here():
    from vqnet_core.quantum.machine import available_memory
    got = available_memory()
    assert got is None or got > 0


def test_bad_limit_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("VQNET_MAX_STATE_BYTES", "lots")
    with pytest.raises(ValueError, match="VQNET_MAX_STATE_BYTES must be a number of bytes, "
                                         "got 'lots'"):
        get_machine("statevector").execute(_rx(2), np.zeros((1, 1)), [Probs()])


# ---------------------------------------------------------------- shots
def test_shots_beyond_int64_are_a_machine_error():
    c = Circuit(1, [Operation("H", (0,))])
    with pytest.raises(MachineError, match=r"shots=18446744073709551616 is more than can be "
                                           r"counted \(at most 2\*\*63 - 1\)"):
        get_machine("statevector").execute(c, np.zeros((1, 0)), [Expval("Z0")], shots=2**64)


def test_sampling_2_to_62_shots_is_refused_by_the_memory_check(no_limit):
    c = Circuit(1, [Operation("H", (0,))])
    with pytest.raises(MachineError, match=r"4611686018427387904 shots of 1 bits.*use fewer "
                                           "shots"):
        get_machine("statevector").execute(c, np.zeros((1, 0)), [Sample()], shots=2**62)


# ---------------------------------------------------------------- observables
@pytest.mark.parametrize("obs, term", [({"Z0": float("nan")}, "Z0"),
                                       ([(float("inf"), "Z0 Z1")], "Z0 Z1"),
                                       ({"X1": -float("inf")}, "X1")])
def test_non_finite_observable_coefficient_names_the_term(obs, term):
    with pytest.raises(ValueError, match=rf"the observable coefficient of the term '{term}' "
                                         r"is -?(nan|inf); coefficients must be finite"):
        Expval(obs)


# ---------------------------------------------------------------- layers and templates
def test_amplitude_embedding_of_a_zero_vector_names_the_sample(backend):
    def fn(q, x, w):
        AmplitudeEmbeddingCircuit(q, x)
        return q.expval("Z0")
    layer = QuantumLayer(fn, 2)
    with pytest.raises(ValueError, match=r"AmplitudeEmbeddingCircuit: the features of "
                                         r"sample\(s\) \[1\] are all zero \(norm 0\)"):
        layer(vq.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"sample\(s\) \[0\] contain NaN or infinity"):
        layer(vq.tensor([[float("nan"), 0.0, 0.0, 1.0]]))


@pytest.mark.parametrize("diff_method", ["adjoint", "parameter-shift"])
def test_quantum_layer_on_an_empty_batch_gives_an_empty_result(backend, diff_method):
    def fn(q, x, w):
        q.rx(0, x[:, 0])
        q.ry(1, x[:, 1])
        q.rz(0, w[0])
        return [q.expval("Z0"), q.expval("Z1")]
    layer = QuantumLayer(fn, 2, (1,), diff_method=diff_method)
    x = vq.zeros((0, 2), requires_grad=True)
    y = layer(x)
    assert y.shape == (0, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 2)
    assert layer.weights.grad.tolist() == [0.0]
    assert layer(vq.zeros((3, 2))).shape == (3, 2)  # and non-empty batches still work
