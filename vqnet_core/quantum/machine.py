"""The quantum-machine protocol: what a simulator, emulated QPU or foreign library provides.

A machine executes a :class:`~vqnet_core.quantum.circuit.Circuit` for a batch of angle
vectors and returns one result per measurement:

* ``Expval`` -> real ``[B]``; ``Probs`` -> real ``[B, 2^k]``; ``State`` -> complex ``[B, 2^n]``;
  ``Density`` -> complex ``[B, 2^n, 2^n]``; ``Sample`` -> int64 ``[B, shots, k]``.

Results are native arrays of the active array backend. Machines that can also implement
:meth:`Machine.vjp` (the adjoint method); the core differentiates the others by parameter
shift or finite differences. :class:`MachineCapabilities` declares the rest, and the
conformance suite turns what is not declared into skips.

>>> import numpy as np
>>> from vqnet_core.quantum import get_machine, Circuit, Operation, ParamRef, Expval
>>> m = get_machine("statevector")
>>> c = Circuit(1, [Operation("RX", (0,), (ParamRef(0),))])
>>> [round(float(v), 6) for v in m.execute(c, np.array([[0.0], [np.pi]]), [Expval("Z0")])[0]]
[1.0, -1.0]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend.registry import get_backend
from .circuit import Circuit, Measurement
from .gates import GATES


class MachineError(ValueError):
    """A machine cannot run what it was given (bad wires, angles, gate or measurement)."""


class UnsupportedError(MachineError):
    """The machine does not support a gate, measurement or option."""


# ---------------------------------------------------------------- memory
MEMORY_ENV = "VQNET_MAX_STATE_BYTES"  # a limit in bytes on one run's estimated memory
_CHECK_FROM = 256 << 20  # smaller estimates are not compared to the system's free memory
_MAX_SHOTS = 2**63 - 1  # numpy draws counts as int64


def _gib(n: int) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n} B"


def _cgroup_free() -> int | None:
    """What the memory cgroup (v2, else v1) still lets this process allocate."""
    for limit, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                         "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit) as f:
                lim = f.read().strip()
            if lim == "max":
                return None
            with open(used) as f:
                return max(int(lim) - int(f.read().strip()), 0)
        except (OSError, ValueError):
            continue
    return None


def available_memory() -> int | None:
    """Bytes this process can still allocate: /proc/meminfo's MemAvailable (else the free
    physical pages), capped by the memory cgroup's limit; None when unknown."""
    avail = None
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            avail = None
    cg = _cgroup_free()
    if cg is not None:
        avail = cg if avail is None else min(avail, cg)
    return avail


def memory_limit(estimate: int) -> tuple[int, str] | None:
    """``(limit, where it comes from)`` for a run estimated at ``estimate`` bytes: the
    ``VQNET_MAX_STATE_BYTES`` environment variable when set, else the available memory
    (read only for estimates of 256 MiB and more); None when nothing limits it."""
    env = os.environ.get(MEMORY_ENV)
    if env:
        try:
            lim = int(float(env))
        except ValueError:
            raise ValueError(f"{MEMORY_ENV} must be a number of bytes, got {env!r}") from None
        return lim, f"the limit {MEMORY_ENV}={env}"
    if estimate < _CHECK_FROM:
        return None
    avail = available_memory()
    return None if avail is None else (avail, "memory available")


@dataclass(frozen=True)
class MachineCapabilities:
    """What a machine declares: the most wires, gate names, measurement kinds, whether it
    takes shots / exact results / noise models, has an adjoint ``vjp``, and its dtypes."""

    max_wires: int = 24
    gates: frozenset[str] = frozenset(GATES)
    measurements: frozenset[str] = frozenset({"expval", "probs", "sample", "state"})
    shots: bool = True
    exact: bool = True
    noise: bool = False
    adjoint: bool = False
    dtypes: frozenset[str] = frozenset({"complex64", "complex128"})
    extra: dict[str, Any] = field(default_factory=dict)


class Machine:
    """Base class of quantum machines. Subclasses set ``name`` and ``capabilities`` and
    implement :meth:`_execute` (and optionally :meth:`_vjp`)."""

    name: str = ""
    capabilities: MachineCapabilities = MachineCapabilities()

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError(f"machine {self.name!r} takes no options, got {sorted(options)}")

    # ---------------------------------------------------------------- public API
    def execute(self, circuit: Circuit, angles: Any, measurements: Sequence[Measurement],
                shots: int | None = None, seed: int | None = None,
                dtype: str = "complex128") -> list[Any]:
        """Run ``circuit`` once per row of ``angles`` ``[B, S]`` (native array or numpy);
        returns one native array per measurement (see the module docstring)."""
        a = self.validate(circuit, angles, measurements, shots, dtype)
        self.check_memory(circuit, a.shape[0], measurements, shots, dtype)
        return self._execute(circuit, a, list(measurements), shots, seed, dtype)

    def vjp(self, circuit: Circuit, angles: Any, measurements: Sequence[Measurement],
            upstream: Sequence[Any], dtype: str = "complex128") -> Any:
        """``sum_m <upstream_m, d result_m / d angles>`` as a real ``[B, S]`` native array
        (exact results only). Raises :class:`UnsupportedError` when not implemented."""
        if not self.capabilities.adjoint:
            raise UnsupportedError(f"machine {self.name!r} has no adjoint vjp; use "
                                   "diff_method='parameter-shift' or 'finite-diff'")
        a = self.validate(circuit, angles, measurements, None, dtype)
        self.check_memory(circuit, a.shape[0], measurements, None, dtype, adjoint=True)
        return self._vjp(circuit, a, list(measurements), list(upstream), dtype)

    def supports_vjp(self, measurements: Sequence[Measurement]) -> bool:
        """Whether :meth:`vjp` can differentiate these measurements."""
        return self.capabilities.adjoint

    def memory_estimate(self, circuit: Circuit, batch: int,
                        measurements: Sequence[Measurement], shots: int | None, dtype: str,
                        adjoint: bool = False) -> tuple[int, str] | None:
        """``(bytes, what they hold)``: roughly the most memory one run needs, or None when
        the machine cannot tell (the default). Simulators override it."""
        return None

    def check_memory(self, circuit: Circuit, batch: int, measurements: Sequence[Measurement],
                     shots: int | None, dtype: str, adjoint: bool = False) -> None:
        """Raise :class:`MachineError` before a run whose :meth:`memory_estimate` exceeds the
        memory available (or ``VQNET_MAX_STATE_BYTES``), instead of allocating until a
        ``MemoryError`` or the OOM killer."""
        est = self.memory_estimate(circuit, batch, measurements, shots, dtype, adjoint)
        if est is None:
            return
        need, what = est
        lim = memory_limit(need)
        if lim is None or need <= lim[0]:
            return
        hint = "use fewer wires or a smaller batch (run the batch in chunks)"
        if shots is not None and any(m.kind == "sample" for m in measurements):
            hint = "use fewer shots, " + hint
        if dtype == "complex128":
            hint += ", or dtype='complex64'"
        raise MachineError(f"machine {self.name!r}: {circuit.num_wires} wires x batch {batch} "
                           f"x {dtype} needs about {need} bytes ({_gib(need)}: {what}), more "
                           f"than the {lim[0]} bytes ({_gib(lim[0])}) of {lim[1]}; {hint}")

    # ---------------------------------------------------------------- for subclasses
    def _execute(self, circuit, angles, measurements, shots, seed, dtype):
        raise NotImplementedError

    def _vjp(self, circuit, angles, measurements, upstream, dtype):
        raise UnsupportedError(f"machine {self.name!r} has no adjoint vjp")

    # ---------------------------------------------------------------- validation
    def checked_noise_model(self, noise_model: Any, instead: str | None = None) -> Any:
        """``noise_model`` (None or a :class:`~vqnet_core.quantum.noise.NoiseModel`) after the
        checks every noisy machine's constructor makes: a machine that declares no noise
        refuses one, naming the machines to use ``instead``.

        >>> from vqnet_core.quantum import get_machine_class
        >>> get_machine_class("density_matrix")().checked_noise_model(None) is None
        True
        """
        from .noise import NoiseModel

        if noise_model is None:
            return None
        if not self.capabilities.noise:
            raise TypeError(f"machine {self.name!r} does not simulate noise"
                            + (f"; use {instead}" if instead else ""))
        if not isinstance(noise_model, NoiseModel):
            raise TypeError(f"noise_model must be a vqnet NoiseModel, got "
                            f"{type(noise_model).__name__}")
        return noise_model

    def validate(self, circuit: Circuit, angles: Any, measurements: Sequence[Measurement],
                 shots: int | None, dtype: str) -> np.ndarray:
        """Check everything before running; returns the angles as a float64 numpy array."""
        caps = self.capabilities
        if not isinstance(circuit, Circuit):
            raise TypeError(f"expected a Circuit, got {type(circuit).__name__}")
        n = circuit.num_wires
        if n < 1:
            raise MachineError(f"a circuit needs at least one wire, got num_wires={n}")
        if n > caps.max_wires:
            raise MachineError(f"machine {self.name!r} runs at most {caps.max_wires} wires; "
                               f"the circuit has {n}")
        if dtype not in caps.dtypes:
            raise UnsupportedError(f"machine {self.name!r} does not support dtype {dtype}; "
                                   f"supported: {sorted(caps.dtypes)}")
        for op in circuit.ops:
            if op.name not in caps.gates:
                raise UnsupportedError(f"gate {op.name} is not supported by machine "
                                       f"{self.name!r}")
            for w in op.wires:
                if not 0 <= w < n:
                    raise MachineError(f"{op.name} on wire {w}: out of range for a circuit of "
                                       f"{n} wires (0..{n - 1})")
        if not measurements:
            raise MachineError("no measurement given: add expval / probs / sample / state")
        for m in measurements:
            if not isinstance(m, Measurement):
                raise TypeError(f"expected a Measurement, got {type(m).__name__}")
            if m.kind not in caps.measurements:
                raise UnsupportedError(f"measurement {m.kind!r} is not supported by machine "
                                       f"{self.name!r} (supported: {sorted(caps.measurements)})")
            if m.kind == "amplitude":
                try:
                    m.check(n)
                except ValueError as exc:
                    raise MachineError(str(exc)) from None
            for w in m.wires or ():
                if not 0 <= w < n:
                    raise MachineError(f"{m!r} measures wire {w}: out of range for a circuit "
                                       f"of {n} wires")
        if shots is not None:
            if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 1:
                raise MachineError(f"shots must be a positive int or None, got {shots!r}")
            if shots > _MAX_SHOTS:
                raise MachineError(f"shots={shots} is more than can be counted (at most 2**63 - "
                                   "1); use fewer shots, or shots=None for exact results")
            if not caps.shots:
                raise UnsupportedError(f"machine {self.name!r} does not take shots")
        else:
            if any(m.kind == "sample" for m in measurements):
                raise MachineError("a sample measurement needs shots (an int), got None")
            if not caps.exact:
                raise UnsupportedError(f"machine {self.name!r} needs shots (it has no exact "
                                       "results)")
        a = angles
        if not isinstance(a, np.ndarray):
            try:
                a = get_backend().to_numpy(a)
            except Exception:  # noqa: BLE001 - a foreign array type
                a = np.asarray(a)
        a = np.asarray(a)
        if a.dtype.kind not in "fiu":
            raise MachineError(f"angles must be real numbers, got dtype {a.dtype}")
        if a.ndim != 2:
            raise MachineError(f"angles must have shape [B, S], got shape {a.shape}")
        if a.shape[0] < 1:
            raise MachineError("angles must have at least one row (batch size B >= 1)")
        if a.shape[1] < circuit.num_angles:
            raise MachineError(f"the circuit refers to {circuit.num_angles} angle columns, but "
                               f"angles has shape {a.shape}")
        a = a.astype(np.float64, copy=False)
        if not np.all(np.isfinite(a)):
            raise MachineError("angles contain NaN or infinity")
        return a

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
