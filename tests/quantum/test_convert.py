"""convert_circuit: the one entry point that finds a plugin's converter for a foreign circuit
object, and ForeignCircuit's affine angle columns (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.quantum import (
    AffineAngle,
    Circuit,
    ConversionError,
    Expval,
    ForeignCircuit,
    Operation,
    ParamRef,
    convert_circuit,
    get_machine,
    register_converter,
)
from vqnet_core.quantum import convert as C


class ToyCircuit:
    """A stand-in foreign circuit: RY(2 a + 1) on wire 0, RX(b) on wire 1, RZ(0.5) on wire 1."""


class ToySubclass(ToyCircuit):
    pass


def _convert_toy(obj, scale=2.0):
    c = Circuit(2, [Operation("RY", (0,), (ParamRef(0),)), Operation("RX", (1,), (ParamRef(1),)),
                    Operation("RZ", (1,), (ParamRef(2),))])
    cols = (AffineAngle("a", scale, 1.0), AffineAngle("b"), AffineAngle(None, 0, 0.5))
    return ForeignCircuit(c, cols, (Expval("Z0"), Expval("Z1")), source=obj)


@pytest.fixture
def toy():
    name = f"{ToyCircuit.__module__}.{ToyCircuit.__qualname__}"
    register_converter(name, _convert_toy)
    yield
    C._local.pop(name, None)


def test_converter_found_by_type_and_base_class(toy):
    fc = convert_circuit(ToySubclass(), scale=3.0)  # options reach the converter
    assert fc.parameters == ("a", "b") and fc.columns[0].scale == 3.0
    assert convert_circuit(fc) is fc


def test_angles_and_execution(toy):
    fc = convert_circuit(ToyCircuit())
    a = fc.angles({"a": [0.0, 0.2], "b": 0.7})  # a scalar broadcasts over the batch
    np.testing.assert_allclose(a, [[1.0, 0.7, 0.5], [1.4, 0.7, 0.5]])
    out = get_machine("statevector").execute(fc.circuit, a, fc.measurements)
    np.testing.assert_allclose(out[0], np.cos([1.0, 1.4]), atol=1e-12)
    np.testing.assert_allclose(out[1], np.cos([0.7, 0.7]), atol=1e-12)


def test_angles_tensor_is_differentiable(toy):
    fc = convert_circuit(ToyCircuit())
    a = vq.tensor([0.0, 0.2], dtype="float64", requires_grad=True)
    b = vq.tensor(0.7, dtype="float64", requires_grad=True)
    ang = fc.angles_tensor({"a": a, "b": b})
    assert ang.shape == (2, 3)
    np.testing.assert_allclose(ang.numpy(), fc.angles({"a": [0.0, 0.2], "b": 0.7}))
    (ang * vq.tensor([[1.0, 10.0, 100.0]] * 2, dtype="float64")).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])  # d(2a + 1)/da
    np.testing.assert_allclose(b.grad.numpy(), 20.0)  # broadcast over 2 rows, weight 10


def test_errors_name_the_problem(toy):
    with pytest.raises(ConversionError, match=r"no circuit converter for objects of type "
                                              r"builtins\.dict.*test_convert\.ToyCircuit"):
        convert_circuit({})
    fc = convert_circuit(ToyCircuit())
    with pytest.raises(ConversionError, match="no value for parameter.*b; the circuit has a, b"):
        fc.angles({"a": 1.0})
    with pytest.raises(ConversionError, match="one batch size"):
        fc.angles({"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]})
    with pytest.raises(ConversionError, match="reads 1 angle columns but only 0"):
        ForeignCircuit(Circuit(1, [Operation("RX", (0,), (ParamRef(0),))]))
    with pytest.raises(ConversionError, match="scale must be a finite"):
        AffineAngle("t", float("nan"))
    register_converter("builtins.dict", lambda obj: "not a circuit")
    try:
        with pytest.raises(TypeError, match="returned str, not a ForeignCircuit"):
            convert_circuit({})
    finally:
        C._local.pop("builtins.dict")


def test_record_trains_inside_a_quantum_layer(toy):
    from vqnet_core.qnn import QuantumLayer

    fc = convert_circuit(ToyCircuit())

    def circuit(q, x, w):  # input -> a, weight -> b
        fc.record(q, {"a": x[:, 0], "b": w[0]})
        q.expval("Z0")
        q.expval("Z1")

    layer = QuantumLayer(circuit, 2, 1, diff_method="adjoint")
    layer.weights._data = layer.weights._data * 0 + 0.7
    x = vq.tensor([[0.0], [0.2]], dtype="float64", requires_grad=True)
    out = layer(x)
    np.testing.assert_allclose(out.numpy(), np.stack([np.cos([1.0, 1.4]), np.cos([0.7] * 2)], 1),
                               atol=1e-12)
    out[:, 0].sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0], -2 * np.sin([1.0, 1.4]), atol=1e-10)
