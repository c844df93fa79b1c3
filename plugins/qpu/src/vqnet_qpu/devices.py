"""Device models: topology, native gates and calibration of a chip, from three sources.

* **IBM** (``qpu.ibm_<x>``): every fake backend of ``qiskit_ibm_runtime.fake_provider``, read
  from its offline ``conf_<x>.json`` / ``props_<x>.json`` at run time (the package directory is
  located with ``importlib.util.find_spec``; qiskit_ibm_runtime is never imported).
* **Google** (``qpu.google.<processor>``): the virtual processors of ``cirq_google``
  (``rainbow``, ``weber``, ``willow_pink``) with their device noise properties, when
  ``cirq-google`` is installed (extra ``vqnet-qpu[google]``).
* **A TOML device file** for any other chip (format in ``plugins/qpu/README.md``, validated
  with errors naming the bad field); ``vqnet_qpu/data/grid3x3.toml`` is the shipped example
  (``qpu.example.grid3x3``, figures illustrative).

A :class:`Device` holds everything in SI units (seconds): per-qubit ``T1``, ``T2``, readout
errors ``p01`` (prepared 0, read 1 = ``prob_meas1_prep0``) and ``p10`` (``prob_meas0_prep1``),
measurement duration, and per (gate, qubits) the calibrated error and duration. Its
:meth:`Device.target` is the Qiskit ``Target`` the transpiler compiles against.

>>> d = load_device("qpu.example.grid3x3")
>>> d.num_qubits, d.basis_gates, d.illustrative
(9, ('rz', 'sx', 'x', 'cz'), True)
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

#: IR gate <-> Qiskit native instruction names the device models know
ONE_QUBIT = ("id", "rz", "sx", "x", "rx", "ry", "h", "s", "sdg", "t", "tdg", "y", "z", "u",
             "u1", "u2", "u3")
TWO_QUBIT = ("cz", "cx", "ecr", "rzz", "iswap", "swap")
KNOWN = ONE_QUBIT + TWO_QUBIT
EXAMPLES = {"grid3x3": Path(__file__).parent / "data" / "grid3x3.toml"}
GOOGLE = ("rainbow", "weber", "willow_pink")


class DeviceError(ValueError):
    """A device cannot be found or its description is invalid."""


@dataclass(frozen=True)
class QubitCal:
    """One qubit's calibration (seconds; ``t1`` / ``t2`` may be ``inf``)."""

    t1: float = math.inf
    t2: float = math.inf
    p01: float = 0.0  # read 1 when prepared 0
    p10: float = 0.0  # read 0 when prepared 1
    readout_duration: float = 0.0


@dataclass(frozen=True)
class GateCal:
    """One native gate on one qubit tuple: average gate error and duration (seconds)."""

    error: float = 0.0
    duration: float = 0.0


@dataclass
class Device:
    """A chip: ``num_qubits``, native ``basis_gates`` (Qiskit names), per-qubit ``qubits``
    calibration and ``gates[(name, qubits)]``; a two-qubit gate exists only on the qubit
    pairs listed there (its coupling map)."""

    name: str
    num_qubits: int
    basis_gates: tuple[str, ...]
    qubits: list[QubitCal]
    gates: dict[tuple[str, tuple[int, ...]], GateCal]
    source: str = ""
    illustrative: bool = False
    notes: str = ""
    _target: Any = field(default=None, repr=False, compare=False)

    @property
    def coupling_map(self) -> list[tuple[int, int]]:
        """The directed qubit pairs with a two-qubit native gate."""
        return sorted({q for (g, q) in self.gates if len(q) == 2})

    def gate(self, name: str, qubits: tuple[int, ...]) -> GateCal | None:
        """The calibration of native ``name`` on ``qubits`` (None: not calibrated)."""
        return self.gates.get((name, tuple(qubits)))

    def target(self) -> Any:
        """The Qiskit ``Target`` (built once): every native gate with its error and duration,
        ``measure`` with the readout error and duration, the qubits' T1 / T2."""
        if self._target is None:
            self._target = _build_target(self)
        return self._target

    def describe(self) -> str:
        """A one-line summary (for ``vqnet info``)."""
        twoq = sorted({g for (g, q) in self.gates if len(q) == 2})
        tag = ", figures illustrative" if self.illustrative else ""
        return (f"{self.num_qubits} qubits, native {', '.join(self.basis_gates)} "
                f"({len(self.coupling_map)} {'/'.join(twoq) or 'no 2q'} pairs){tag}")


def _build_target(d: Device) -> Any:
    from qiskit.circuit import Measure
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.providers import QubitProperties
    from qiskit.transpiler import InstructionProperties, Target

    std = get_standard_gate_name_mapping()
    qp = [QubitProperties(t1=None if math.isinf(q.t1) else q.t1,
                          t2=None if math.isinf(q.t2) else q.t2) for q in d.qubits]
    t = Target(num_qubits=d.num_qubits, qubit_properties=qp, description=d.name)
    for g in d.basis_gates:
        props = {q: InstructionProperties(duration=c.duration, error=c.error)
                 for (name, q), c in d.gates.items() if name == g}
        if props:
            t.add_instruction(std[g], props)
    t.add_instruction(Measure(), {(i,): InstructionProperties(
        duration=q.readout_duration, error=(q.p01 + q.p10) / 2)
        for i, q in enumerate(d.qubits)})
    return t


# ---------------------------------------------------------------------------- IBM
_UNITS = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "dt": None}


def ibm_backends_dir() -> Path | None:
    """``qiskit_ibm_runtime/fake_provider/backends`` of the installed package (not
    imported), or None."""
    try:
        spec = importlib.util.find_spec("qiskit_ibm_runtime")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "fake_provider" / "backends"
    return d if d.is_dir() else None


@lru_cache(maxsize=1)
def ibm_devices() -> dict[str, Path]:
    """``{"ibm_torino": .../torino/conf_torino.json, ...}``: one per fake backend (a glob)."""
    d = ibm_backends_dir()
    if d is None:
        return {}
    out = {}
    for conf in sorted(d.glob("*/conf_*.json")):
        key = conf.stem[len("conf_"):]
        if (conf.parent / f"props_{key}.json").exists():
            out[f"ibm_{key}"] = conf
    return out


def ibm_num_qubits(device: str) -> int:
    """The qubit count of an IBM fake backend, read from its conf file (a regex, no parse)."""
    text = ibm_devices()[device].read_text()
    m = re.search(r'"n_qubits"\s*:\s*(\d+)', text)
    return int(m.group(1)) if m else -1


def _value(p: dict) -> float:
    unit = p.get("unit", "") or ""
    scale = _UNITS.get(unit)
    if scale is None:
        raise DeviceError(f"unsupported unit {unit!r} for {p.get('name')}")
    return float(p["value"]) * scale


def load_ibm(device: str) -> Device:
    """The :class:`Device` of an IBM fake backend, from its conf / props JSON."""
    conf_path = ibm_devices().get(device)
    if conf_path is None:
        raise DeviceError(f"no IBM fake backend {device!r} in qiskit_ibm_runtime "
                          f"(installed: {', '.join(ibm_devices()) or 'none'})")
    key = device[len("ibm_"):]
    conf = json.loads(conf_path.read_text())
    props = json.loads((conf_path.parent / f"props_{key}.json").read_text())
    n = int(conf["n_qubits"])
    basis = tuple(g for g in conf["basis_gates"] if g in KNOWN)
    qubits = []
    for i in range(n):
        vals = {p["name"]: p for p in (props["qubits"][i] if i < len(props["qubits"]) else [])}

        def get(name, default, vals=vals):
            return _value(vals[name]) if name in vals else default
        ro = get("readout_error", 0.0)
        t1 = get("T1", math.inf)
        t2 = get("T2", math.inf)
        qubits.append(QubitCal(
            t1=t1 if t1 > 0 else math.inf, t2=t2 if t2 > 0 else math.inf,
            p01=min(max(get("prob_meas1_prep0", ro), 0.0), 1.0),
            p10=min(max(get("prob_meas0_prep1", ro), 0.0), 1.0),
            readout_duration=get("readout_length", 0.0)))
    gates: dict[tuple[str, tuple[int, ...]], GateCal] = {}
    for g in props.get("gates", []):
        if g["gate"] not in basis:
            continue
        vals = {p["name"]: p for p in g.get("parameters", [])}
        err = _value(vals["gate_error"]) if "gate_error" in vals else 0.0
        dur = _value(vals["gate_length"]) if "gate_length" in vals else 0.0
        q = tuple(int(x) for x in g["qubits"])
        if any(x >= n for x in q):
            continue
        gates[(g["gate"], q)] = GateCal(min(max(err, 0.0), 1.0), max(dur, 0.0))
    # native gates the props leave out (rz is virtual; a conf coupling pair without props)
    for g in basis:
        if g in ONE_QUBIT:
            for i in range(n):
                gates.setdefault((g, (i,)), GateCal())
    if {"u1", "u2", "u3"} <= set(basis) and "sx" not in basis:
        # the older devices' u1 / u2 / u3 basis as the rz / sx / x basis IBM moved them to:
        # u1 is virtual (rz), u2 one pulse (sx), u3 two pulses (x's figures: u3's); Qiskit's
        # basis translator can take minutes on parametrised circuits into u1 / u2 / u3
        rename = {"u1": "rz", "u2": "sx", "u3": "x"}
        basis = tuple(dict.fromkeys(rename.get(g, g) for g in basis))
        gates = {(rename.get(g, g), q): c for (g, q), c in gates.items()}
    twoq = [g for g in basis if g in TWO_QUBIT]
    if twoq and not any(len(q) == 2 for (_, q) in gates):
        for a, b in conf.get("coupling_map") or []:
            gates.setdefault((twoq[0], (int(a), int(b))), GateCal())
    return Device(name=device, num_qubits=n, basis_gates=basis, qubits=qubits, gates=gates,
                  source=f"qiskit_ibm_runtime fake backend {conf.get('backend_name', key)} "
                         f"({conf_path.parent})")


# ---------------------------------------------------------------------------- TOML
_TOP = {"name", "num_qubits", "basis_gates", "coupling", "illustrative", "notes",
        "defaults", "qubit", "gate"}
_DEFAULT_KEYS = {"t1_us", "t2_us", "readout_p01", "readout_p10", "readout_ns",
                 "gate_error_1q", "gate_error_2q", "duration_1q_ns", "duration_2q_ns"}
_QUBIT_KEYS = {"index", "t1_us", "t2_us", "readout_p01", "readout_p10", "readout_ns"}
_GATE_KEYS = {"name", "qubits", "error", "duration_ns"}


def _num(where: str, v: Any, lo: float = 0.0, hi: float = math.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise DeviceError(f"{where} must be a number, got {v!r}")
    v = float(v)
    if not lo <= v <= hi:
        raise DeviceError(f"{where} must be in [{lo}, {hi}], got {v}")
    return v


def _unknown_keys(where: str, got: dict, allowed: set[str]) -> None:
    bad = sorted(set(got) - allowed)
    if bad:
        raise DeviceError(f"{where}: unknown field(s) {', '.join(bad)} (allowed: "
                          f"{', '.join(sorted(allowed))})")


def parse_device_toml(text: str, source: str = "<string>") -> Device:
    """A :class:`Device` from the TOML device format (see the plugin README); every
    error names the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeviceError(f"{source}: not valid TOML: {exc}") from None
    where = source
    _unknown_keys(where, data, _TOP)
    for req in ("name", "num_qubits", "basis_gates"):
        if req not in data:
            raise DeviceError(f"{where}: missing field {req!r}")
    name = data["name"]
    if not isinstance(name, str) or not name:
        raise DeviceError(f"{where}: 'name' must be a non-empty string, got {name!r}")
    n = data["num_qubits"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DeviceError(f"{where}: 'num_qubits' must be a positive integer, got {n!r}")
    basis = data["basis_gates"]
    if not isinstance(basis, list) or not basis or not all(isinstance(g, str) for g in basis):
        raise DeviceError(f"{where}: 'basis_gates' must be a list of gate names, got {basis!r}")
    for g in basis:
        if g not in KNOWN:
            raise DeviceError(f"{where}: basis_gates: unknown native gate {g!r} (known: "
                              f"{', '.join(KNOWN)})")
    if not {"rz", "u", "u3"} & set(basis):
        raise DeviceError(f"{where}: basis_gates must contain 'rz' (or 'u' / 'u3') so that "
                          "any single-qubit rotation can be expressed")
    twoq = [g for g in basis if g in TWO_QUBIT]
    dflt = data.get("defaults", {})
    if not isinstance(dflt, dict):
        raise DeviceError(f"{where}: 'defaults' must be a table")
    _unknown_keys(f"{where}: [defaults]", dflt, _DEFAULT_KEYS)

    def d(key, default, lo=0.0, hi=math.inf):
        return _num(f"{where}: defaults.{key}", dflt[key], lo, hi) if key in dflt else default
    t1 = d("t1_us", math.inf, 1e-9) * 1e-6
    t2 = d("t2_us", math.inf, 1e-9) * 1e-6
    p01, p10 = d("readout_p01", 0.0, 0, 1), d("readout_p10", 0.0, 0, 1)
    ro_ns = d("readout_ns", 0.0)
    e1, e2 = d("gate_error_1q", 0.0, 0, 1), d("gate_error_2q", 0.0, 0, 1)
    t1q, t2q = d("duration_1q_ns", 0.0) * 1e-9, d("duration_2q_ns", 0.0) * 1e-9
    qubits = [dict(t1=t1, t2=t2, p01=p01, p10=p10, readout_duration=ro_ns * 1e-9)
              for _ in range(n)]
    for j, q in enumerate(data.get("qubit", [])):
        w = f"{where}: qubit[{j}]"
        if not isinstance(q, dict):
            raise DeviceError(f"{w} must be a table ([[qubit]])")
        _unknown_keys(w, q, _QUBIT_KEYS)
        if "index" not in q:
            raise DeviceError(f"{w}: missing field 'index'")
        i = q["index"]
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
            raise DeviceError(f"{w}.index must be an integer in [0, {n - 1}], got {i!r}")
        for key, attr, scale, lo, hi in (("t1_us", "t1", 1e-6, 1e-9, math.inf),
                                         ("t2_us", "t2", 1e-6, 1e-9, math.inf),
                                         ("readout_p01", "p01", 1.0, 0, 1),
                                         ("readout_p10", "p10", 1.0, 0, 1),
                                         ("readout_ns", "readout_duration", 1e-9, 0, math.inf)):
            if key in q:
                qubits[i][attr] = _num(f"{w}.{key}", q[key], lo, hi) * scale
    for i, q in enumerate(qubits):
        if q["t2"] > 2 * q["t1"]:
            raise DeviceError(f"{where}: qubit {i}: T2 ({q['t2'] * 1e6:g} us) must be <= 2*T1 "
                              f"({2 * q['t1'] * 1e6:g} us)")
    gates: dict[tuple[str, tuple[int, ...]], GateCal] = {}
    for g in basis:
        if g in ONE_QUBIT:
            for i in range(n):
                e, t = (0.0, 0.0) if g == "rz" else (e1, t1q)
                gates[(g, (i,))] = GateCal(e, t)
    coupling = data.get("coupling", [])
    if not isinstance(coupling, list):
        raise DeviceError(f"{where}: 'coupling' must be a list of [a, b] qubit pairs")
    if twoq and not coupling and n > 1:
        raise DeviceError(f"{where}: basis_gates has {twoq[0]!r} but 'coupling' lists no pairs")
    for j, pair in enumerate(coupling):
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < n
                           for x in pair) or pair[0] == pair[1]):
            raise DeviceError(f"{where}: coupling[{j}] must be two different qubit indices in "
                              f"[0, {n - 1}], got {pair!r}")
        if not twoq:
            raise DeviceError(f"{where}: 'coupling' given but basis_gates has no two-qubit "
                              f"gate ({', '.join(TWO_QUBIT)})")
        for a, b in ((pair[0], pair[1]), (pair[1], pair[0])):  # both directions
            gates[(twoq[0], (a, b))] = GateCal(e2, t2q)
    explicit: set[tuple[str, tuple[int, ...]]] = set()
    for j, g in enumerate(data.get("gate", [])):
        w = f"{where}: gate[{j}]"
        if not isinstance(g, dict):
            raise DeviceError(f"{w} must be a table ([[gate]])")
        _unknown_keys(w, g, _GATE_KEYS)
        for req in ("name", "qubits"):
            if req not in g:
                raise DeviceError(f"{w}: missing field {req!r}")
        if g["name"] not in basis:
            raise DeviceError(f"{w}.name: {g['name']!r} is not in basis_gates {basis}")
        qs = g["qubits"]
        k = 2 if g["name"] in TWO_QUBIT else 1
        if (not isinstance(qs, list) or len(qs) != k
                or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < n
                           for x in qs)):
            raise DeviceError(f"{w}.qubits must be {k} qubit index(es) in [0, {n - 1}], got "
                              f"{qs!r}")
        key = (g["name"], tuple(qs))
        if k == 2 and key not in gates:
            raise DeviceError(f"{w}.qubits: {qs} is not a pair of 'coupling'")
        old = gates.get(key, GateCal())
        err = _num(f"{w}.error", g["error"], 0, 1) if "error" in g else old.error
        dur = _num(f"{w}.duration_ns", g["duration_ns"]) * 1e-9 if "duration_ns" in g \
            else old.duration
        gates[key] = GateCal(err, dur)
        explicit.add(key)
        rev = (g["name"], tuple(reversed(qs)))
        if k == 2 and rev not in explicit:  # a pair's figures hold both ways unless given
            gates[rev] = GateCal(err, dur)
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise DeviceError(f"{where}: 'illustrative' must be true or false")
    notes = data.get("notes", "")
    return Device(name=name, num_qubits=n, basis_gates=tuple(basis),
                  qubits=[QubitCal(**q) for q in qubits], gates=gates, source=source,
                  illustrative=illustrative, notes=str(notes))


def load_device_file(path: str | Path) -> Device:
    """A :class:`Device` from a TOML device file."""
    p = Path(path)
    if not p.is_file():
        raise DeviceError(f"device file {str(p)!r} does not exist")
    return parse_device_toml(p.read_text(), str(p))


# ---------------------------------------------------------------------------- Google
def google_available() -> bool:
    """Whether cirq_google is installed (found, not imported)."""
    try:
        return importlib.util.find_spec("cirq_google") is not None
    except (ImportError, ValueError):
        return False


def load_google(processor: str) -> Device:
    """A :class:`Device` from a cirq_google virtual processor: its grid (a qubit per
    ``GridQubit``, sorted), its device noise properties (T1, T_phi -> T2, per-gate Pauli
    errors, readout errors ``[p(1|0), p(0|1)]``) on the basis ``rz, sx, x, cz``: the
    processor's two-qubit entangler (sqrt-iSWAP / Sycamore on the pairs it is calibrated on) is
    modelled as a CZ with that pair's error -- the same topology and error budget, not its
    exact gate (an approximation, said in ``Device.notes``)."""
    if processor not in GOOGLE:
        raise DeviceError(f"no Google virtual processor {processor!r} (known: "
                          f"{', '.join(GOOGLE)})")
    if not google_available():
        raise DeviceError("the Google processors need cirq-google: pip install "
                          "'vqnet-qpu[google]'")
    import cirq
    import cirq_google

    props = cirq_google.engine.load_device_noise_properties(processor)
    qubits = sorted(props.readout_errors) if getattr(props, "readout_errors", None) \
        else sorted(props.t1_ns)
    index = {q: i for i, q in enumerate(qubits)}
    n = len(qubits)
    cals = []
    for q in qubits:
        t1 = props.t1_ns.get(q, math.inf) * 1e-9
        tphi = props.tphi_ns.get(q, math.inf) * 1e-9
        # 1/T2 = 1/(2 T1) + 1/T_phi
        t2 = 1.0 / (1.0 / (2 * t1) + 1.0 / tphi) if math.isfinite(t1) else math.inf
        ro = props.readout_errors.get(q, [0.0, 0.0])
        cals.append(QubitCal(t1=t1, t2=min(t2, 2 * t1), p01=float(ro[0]), p10=float(ro[1]),
                             readout_duration=getattr(props, "gate_times_ns", {}).get(
                                 cirq.MeasurementGate, 0.0) * 1e-9))
    times = getattr(props, "gate_times_ns", {})
    t1q = times.get(cirq.PhasedXZGate, 25.0) * 1e-9
    t2q = times.get(cirq.CZPowGate, times.get(cirq.ISwapPowGate, 32.0)) * 1e-9
    gates: dict[tuple[str, tuple[int, ...]], GateCal] = {}
    pauli = getattr(props, "gate_pauli_errors", {})
    for key, err in pauli.items():
        gate_type, qs = _op_key(key)
        if gate_type is cirq.PhasedXZGate and len(qs) == 1 and qs[0] in index:
            i = index[qs[0]]
            # a Pauli error p of a 1q gate: average gate error 2p/3 (d = 2)
            for g in ("sx", "x"):
                gates[(g, (i,))] = GateCal(2 * float(err) / 3, t1q)
        elif len(qs) == 2 and all(q in index for q in qs):
            a, b = index[qs[0]], index[qs[1]]
            for pr in ((a, b), (b, a)):
                gates[("cz", pr)] = GateCal(4 * float(err) / 5, t2q)  # d = 4: (d/(d+1)) p
    for i in range(n):
        gates.setdefault(("rz", (i,)), GateCal())
        for g in ("sx", "x"):
            gates.setdefault((g, (i,)), GateCal(0.0, t1q))
    return Device(name=f"google.{processor}", num_qubits=n, basis_gates=("rz", "sx", "x", "cz"),
                  qubits=cals, gates=gates,
                  notes="two-qubit entangler modelled as CZ with the calibrated Pauli error",
                  source=f"cirq_google virtual processor {processor!r} (qubits "
                         f"{', '.join(str(q) for q in qubits[:3])}, ...)")


def _op_key(key: Any) -> tuple[Any, tuple]:
    """``(gate type, qubits)`` of a cirq_google noise-properties key (an OpIdentifier)."""
    return getattr(key, "gate_type", None), tuple(getattr(key, "qubits", ()))


# ---------------------------------------------------------------------------- lookup
def device_names() -> list[str]:
    """Every device the installed packages provide, as machine names (nothing imported)."""
    names = [f"qpu.{d}" for d in ibm_devices()]
    names += [f"qpu.example.{k}" for k in EXAMPLES]
    if google_available():
        names += [f"qpu.google.{p}" for p in GOOGLE]
    return sorted(names)


@lru_cache(maxsize=16)
def _load_named(name: str) -> Device:
    rest = name[len("qpu."):]
    if rest.startswith("ibm_"):
        return load_ibm(rest)
    if rest.startswith("example."):
        key = rest[len("example."):]
        if key not in EXAMPLES:
            raise DeviceError(f"no example device {key!r} (shipped: {', '.join(EXAMPLES)})")
        return load_device_file(EXAMPLES[key])
    if rest.startswith("google."):
        return load_google(rest[len("google."):])
    raise DeviceError(f"no device {name!r}")


def load_device(name_or_path: str | Path | Device) -> Device:
    """A device by machine name (``"qpu.ibm_torino"``, ``"ibm_torino"``), a TOML path, or a
    :class:`Device` (returned as is)."""
    if isinstance(name_or_path, Device):
        return name_or_path
    s = str(name_or_path)
    if s.endswith(".toml") or "/" in s or Path(s).is_file():
        return load_device_file(s)
    if not s.startswith("qpu."):
        s = "qpu." + s
    if s not in device_names():
        raise DeviceError(f"unknown device {s!r}; installed: {', '.join(device_names())}")
    return _load_named(s)
