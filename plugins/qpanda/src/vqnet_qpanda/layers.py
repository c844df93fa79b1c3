"""The paper's QPanda layers: a function builds and runs a native pyqpanda3 program.

``qprog_with_measure(input, param, qubits, cbits, machine)`` gets one input row (numpy
``[n_in]``), the weights (``[para_num]``), the qubit and cbit indices and the pyqpanda3
machine, and returns the measured result (a float or a 1-D array). Gradients w.r.t. inputs and
weights come from the parameter-shift rule (every input / weight must enter as the angle of
one Pauli rotation) or central finite differences.

>>> import numpy as np, vqnet_core as vq
>>> from pyqpanda3.core import QProg, RY
>>> def qprog(x, w, qubits, cbits, machine):
...     prog = QProg(1) << RY(0, x[0] + w[0])
...     machine.run(prog, 1)
...     return machine.result().get_prob_list([0])
>>> layer = QPandaLayer(qprog, para_num=1, machine_type="CPU", num_of_qubits=1)
>>> layer(vq.tensor([[0.3]], dtype="float64")).shape
(1, 2)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from vqnet_core.qnn.compatible import CompatibleLayer

_DIFF = {"parameter_shift": "parameter-shift", "parameter-shift": "parameter-shift",
         "finite_diff": "finite-diff", "finite-diff": "finite-diff"}


def make_qvm(machine_type: str) -> Any:
    """A pyqpanda3 machine for ``"CPU"``, ``"GPU"`` or ``"MPS"`` (case-insensitive)."""
    from pyqpanda3 import core
    kinds = {"CPU": core.CPUQVM, "GPU": core.GPUQVM, "MPS": core.MPSQVM}
    key = str(machine_type).upper()
    if key not in kinds:
        raise ValueError(f"machine_type must be one of {sorted(kinds)}, got {machine_type!r}")
    try:
        return kinds[key]()
    except RuntimeError as exc:
        raise RuntimeError(f"cannot create QPanda's {key} machine: {exc}") from exc


class QPandaLayer(CompatibleLayer):
    """A layer running ``qprog_with_measure`` on a pyqpanda3 machine (the paper's
    ``QuantumLayer``). ``shots`` is passed to the function when it takes a ``shots``
    argument. ``diff_method``: ``"parameter_shift"`` or ``"finite_diff"`` (step ``delta``)."""

    def __init__(self, qprog_with_measure: Callable[..., Any], para_num: int,
                 machine_type: str = "CPU", num_of_qubits: int = 1, num_of_cbits: int = 1,
                 diff_method: str = "parameter_shift", delta: float = 1e-6,
                 shots: int | None = None, dtype: Any = "float64") -> None:
        if not callable(qprog_with_measure):
            raise TypeError("qprog_with_measure must be a function (input, param, qubits, "
                            "cbits, machine) -> result")
        if diff_method not in _DIFF:
            raise ValueError(f"diff_method must be 'parameter_shift' or 'finite_diff', got "
                             f"{diff_method!r}")
        if not isinstance(para_num, int) or para_num < 0:
            raise ValueError(f"para_num must be an int >= 0, got {para_num!r}")
        if not isinstance(num_of_qubits, int) or num_of_qubits < 1:
            raise ValueError(f"num_of_qubits must be a positive int, got {num_of_qubits!r}")
        super().__init__(para_num, _DIFF[diff_method], dtype, delta)
        self.qprog_with_measure = qprog_with_measure
        self.machine_type = machine_type
        self.qubits = list(range(num_of_qubits))
        self.cbits = list(range(num_of_cbits))
        self.shots = shots
        self.machine = self._make_machine()
        self._takes_shots = "shots" in inspect.signature(qprog_with_measure).parameters

    def _make_machine(self) -> Any:
        return make_qvm(self.machine_type)

    def run(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        kw = {"shots": self.shots} if self._takes_shots else {}
        rows = [np.atleast_1d(np.asarray(self.qprog_with_measure(
            x, weights, self.qubits, self.cbits, self.machine, **kw), dtype=np.float64))
            for x in inputs]
        return np.stack(rows)


class _NoisyQVM:
    """A CPUQVM whose ``run`` always uses the configured QPanda noise model."""

    def __init__(self, qvm: Any, model: Any) -> None:
        self._qvm, self.noise_model = qvm, model

    def run(self, prog: Any, shots: int = 1, model: Any = None) -> None:
        self._qvm.run(prog, shots, self.noise_model if model is None else model)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._qvm, attr)


class QPandaNoiseLayer(QPandaLayer):
    """:class:`QPandaLayer` on a noisy CPUQVM: ``noise_set_config(noise_model, qubits)``
    configures a fresh ``pyqpanda3.core.NoiseModel`` (the paper's callback), which every
    ``machine.run`` inside ``qprog_with_measure`` then uses.

    >>> from pyqpanda3.core import NoiseModel, depolarizing_error, GateType
    >>> def noise(nm, qubits):
    ...     nm.add_all_qubit_quantum_error(depolarizing_error(0.01), GateType.RY)
    >>> layer = QPandaNoiseLayer(lambda x, w, q, c, m: [0.0], 0, noise_set_config=noise)
    >>> layer.machine.noise_model.is_enabled()
    True
    """

    def __init__(self, qprog_with_measure: Callable[..., Any], para_num: int,
                 machine_type: str = "CPU", num_of_qubits: int = 1, num_of_cbits: int = 1,
                 diff_method: str = "parameter_shift", delta: float = 1e-6,
                 noise_set_config: Callable[[Any, list[int]], Any] | None = None,
                 shots: int | None = 1000, dtype: Any = "float64") -> None:
        if noise_set_config is not None and not callable(noise_set_config):
            raise TypeError("noise_set_config must be a function (noise_model, qubits)")
        if str(machine_type).upper() != "CPU":
            raise ValueError("QPanda's noisy simulation runs on the CPU machine "
                             f"(machine_type='CPU'), got {machine_type!r}")
        # needed by _make_machine inside super().__init__ (a plain attribute, not a module)
        object.__setattr__(self, "noise_set_config", noise_set_config)
        super().__init__(qprog_with_measure, para_num, machine_type, num_of_qubits,
                         num_of_cbits, diff_method, delta, shots, dtype)

    def _make_machine(self) -> Any:
        from pyqpanda3.core import NoiseModel
        nm = NoiseModel()
        if self.noise_set_config is not None:
            ret = self.noise_set_config(nm, self.qubits)
            if ret is not None:  # a callback may also return a new model
                nm = ret
        return _NoisyQVM(make_qvm("CPU"), nm)
