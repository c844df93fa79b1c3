"""``vqnet_core.quantum.results``: the public measurement API machines build on agrees with the
built-in machines, returns arrays of the active backend and is seeded."""

from __future__ import annotations

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.quantum import (
    Circuit,
    Density,
    Expval,
    Operation,
    ParamRef,
    Probs,
    Sample,
    State,
    get_machine,
)
from vqnet_core.quantum.results import measure_density, measure_state, to_active

CIRCUIT = Circuit(3, [Operation("RX", (0,), (ParamRef(0),)), Operation("CNOT", (0, 1), ()),
                      Operation("RY", (2,), (ParamRef(1),)), Operation("H", (1,), ())])
ANGLES = np.array([[0.3, 1.1], [2.0, -0.4]])
MEAS = [Expval("X0 Y1"), Expval({"Z2": 0.5, "X1 X0": -1.0}), Probs([2, 0])]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_state_and_density_agree_with_the_statevector_machine(dtype):
    m = get_machine("statevector")
    ref = m.execute(CIRCUIT, ANGLES, MEAS + [State(), Density()], dtype=dtype)
    psi = m.execute(CIRCUIT, ANGLES, [State()], dtype=dtype)[0]
    rho = np.asarray(psi)[:, :, None] * np.asarray(psi).conj()[:, None, :]
    from_rho = measure_density(rho, 3, MEAS + [Density()], dtype=dtype)
    for got, want in ((measure_state(psi, 3, MEAS + [State(), Density()], dtype=dtype), ref),
                      (from_rho, ref[:3] + ref[4:])):
        assert len(got) == len(want)
        for g, r in zip(got, want):
            assert g.dtype == r.dtype
            np.testing.assert_allclose(g, r, atol=1e-5 if dtype == "complex64" else 1e-12)


def test_shots_are_seeded_and_samples_are_int64_bits():
    psi = get_machine("statevector").execute(CIRCUIT, ANGLES, [State()])[0]
    a = measure_state(psi, 3, [Sample([2, 0]), Expval("Z0")], shots=50, seed=7)
    b = measure_state(psi, 3, [Sample([2, 0]), Expval("Z0")], shots=50, seed=7)
    assert a[0].dtype == np.int64 and a[0].shape == (2, 50, 2)
    assert set(np.unique(a[0])) <= {0, 1}
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_to_active_converts_to_the_active_backend():
    out = to_active([np.ones(2), np.ones(2, complex), np.ones(2, np.int32)], "complex64")
    assert [str(o.dtype) for o in out] == ["float32", "complex64", "int64"]


def test_backend_module_is_importable_and_callable():
    import vqnet_core.backend as b

    assert b.ArrayBackend.__name__ == "ArrayBackend"
    assert vq.backend is b
    with vq.backend("numpy") as B:
        assert B.name == "numpy" and vq.get_backend() is B
    from vqnet_core.backend import backend
    with backend("numpy") as B:
        assert B.name == "numpy"
