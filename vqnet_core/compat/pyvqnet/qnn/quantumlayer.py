"""pyvqnet's ``QuantumLayer`` and ``NoiseQuantumLayer``: a function builds and runs a pyqpanda
program for one input row.

``qprog_with_measure(input, param, qubits, cbits, machine)`` gets one input row (NumPy
``[n_in]``), the weights (``[para_num]``), the pyqpanda qubits and cbits the layer allocated and
its pyqpanda machine, and returns the measured result (a number or a 1-D array). The program
runs on pyqpanda itself; gradients w.r.t. the inputs and the weights come from the
parameter-shift rule (``diff_method="parameter_shift"``: each input / weight must enter as the
angle of one Pauli rotation) or central finite differences with step ``delta``, as pyvqnet
computes them. Needs ``pyqpanda`` (CPython 3.11 wheels only); see :mod:`._pq`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from vqnet_core.qnn.compatible import CompatibleLayer

from ._pq import require_pyqpanda

__all__ = ["QuantumLayer", "NoiseQuantumLayer", "QuantumLayerBase"]

_DIFF = {"parameter_shift": "parameter-shift", "parameter-shift": "parameter-shift",
         "finite_diff": "finite-diff", "finite-diff": "finite-diff"}


def _dtype_name(dtype: Any) -> str:
    from vqnet_core.dtypes import as_dtype
    return "float32" if dtype is None else as_dtype(dtype).name


class QuantumLayerBase(CompatibleLayer):
    """Runs ``qprog_with_measure`` on a pyqpanda machine for every input row."""

    def __init__(self, qprog_with_measure: Callable[..., Any], para_num: int,
                 machine_type: str, num_of_qubits: int, num_of_cbits: int = 1,
                 diff_method: str = "parameter_shift", delta: float = 0.01, dtype: Any = None,
                 name: str = "") -> None:
        if not callable(qprog_with_measure):
            raise TypeError("qprog_with_measure must be a function (input, param, qubits, "
                            "cbits, machine) -> result")
        if diff_method not in _DIFF:
            raise ValueError(f"diff_method must be 'parameter_shift' or 'finite_diff', got "
                             f"{diff_method!r}")
        if not isinstance(para_num, int) or para_num < 0:
            raise ValueError(f"para_num must be an int >= 0, got {para_num!r}")
        self_pq = require_pyqpanda(type(self).__name__)
        super().__init__(para_num, _DIFF[diff_method], _dtype_name(dtype), delta)
        object.__setattr__(self, "_pq", self_pq)
        self.m_prog_func = qprog_with_measure
        self.machine_type = machine_type
        self.delta = delta
        self.name = name
        self.m_machine = self._make_machine(str(machine_type).lower())
        self.m_qubits = self.m_machine.qAlloc_many(int(num_of_qubits))
        self.m_cbits = self.m_machine.cAlloc_many(int(num_of_cbits))
        self._configure()

    def _make_machine(self, kind: str) -> Any:
        pq = self._pq
        kinds = {"cpu": pq.CPUQVM, "cpu_single_thread": getattr(pq, "CPUSingleThreadQVM",
                                                                  pq.CPUQVM),
                 "gpu": getattr(pq, "GPUQVM", None)}
        if kinds.get(kind) is None:
            raise ValueError(f"machine_type must be 'cpu' or 'gpu' (a pyqpanda QVM), got "
                             f"{self.machine_type!r}")
        m = kinds[kind]()
        m.init_qvm()
        return m

    def _configure(self) -> None:
        pass

    @property
    def m_para(self) -> Any:
        """pyvqnet's name for the layer's weights."""
        return self.weights

    def run(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        rows = [np.atleast_1d(np.asarray(self.m_prog_func(
            x, weights, self.m_qubits, self.m_cbits, self.m_machine), dtype=np.float64))
            for x in inputs]
        return np.stack(rows)


class QuantumLayer(QuantumLayerBase):
    """pyvqnet's ``QuantumLayer(qprog_with_measure, para_num, machine_type, num_of_qubits,
    num_of_cbits=1, diff_method="parameter_shift", delta=0.01)``; ``m_para`` is the weights.
    ``machine_type``: ``"cpu"`` (a pyqpanda CPUQVM) or ``"gpu"``."""

    def __init__(self, qprog_with_measure: Callable[..., Any], para_num: int,
                 machine_type_or_cloud_token: str = "cpu", num_of_qubits: int = 1,
                 num_of_cbits: int = 1, diff_method: str = "parameter_shift",
                 delta: float = 0.01, dtype: Any = None, name: str = "") -> None:
        super().__init__(qprog_with_measure, para_num, machine_type_or_cloud_token,
                         num_of_qubits, num_of_cbits, diff_method, delta, dtype, name)


class NoiseQuantumLayer(QuantumLayerBase):
    """pyvqnet's ``NoiseQuantumLayer(..., noise_set_config)``: the program runs on a pyqpanda
    ``NoiseQVM``; ``noise_set_config(machine, qubits)`` configures its noise
    (``machine.set_noise_model(NoiseModel.BITFLIP_KRAUS_OPERATOR, GateType.RY_GATE, p)``...)."""

    def __init__(self, qprog_with_measure: Callable[..., Any], para_num: int,
                 machine_type: str = "noise", num_of_qubits: int = 1, num_of_cbits: int = 1,
                 diff_method: str = "parameter_shift", delta: float = 0.01,
                 noise_set_config: Callable[[Any, Any], Any] | None = None, dtype: Any = None,
                 name: str = "") -> None:
        if noise_set_config is not None and not callable(noise_set_config):
            raise TypeError("noise_set_config must be a function (machine, qubits)")
        object.__setattr__(self, "_noise_set_config", noise_set_config)
        super().__init__(qprog_with_measure, para_num, "noise", num_of_qubits, num_of_cbits,
                         diff_method, delta, dtype, name)

    def _make_machine(self, kind: str) -> Any:
        m = self._pq.NoiseQVM()
        m.init_qvm()
        return m

    def _configure(self) -> None:
        if self._noise_set_config is not None:
            ret = self._noise_set_config(self.m_machine, self.m_qubits)
            if ret is not None:
                self.m_machine = ret
