"""Circuit templates: functions that record onto a recorder ``q`` (PennyLane's conventions).

>>> import vqnet_core as vq
>>> from vqnet_core.quantum.builder import Recorder
>>> q = Recorder(3)
>>> AngleEmbeddingCircuit(q, vq.tensor([[0.1, 0.2, 0.3]]), rotation="Y")
>>> BasicEntangler(q, vq.zeros((1, 3)))
>>> [op.name for op in q.ops]
['RY', 'RY', 'RY', 'RX', 'RX', 'RX', 'CNOT', 'CNOT', 'CNOT']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..quantum.builder import Recorder
from ..quantum.observables import Hamiltonian
from ..tensor import QTensor


def _need_recorder(q: Any, name: str) -> None:
    """A clear error for pyvqnet's call form ``name(input, qubits)`` (it returns a pyqpanda
    circuit there; here the first argument is the recorder)."""
    if not isinstance(q, Recorder):
        raise TypeError(
            f"{name}: the first argument must be the circuit recorder q (the circuit "
            f"function's first argument), got {type(q).__name__}. VQNet's templates record "
            f"onto q: {name}(q, x, ...). pyvqnet's form {name}(input, qubits) returning a "
            f"pyqpanda circuit is vqnet_core.compat.pyvqnet.qnn.template.{name}")


def _wires(q: Recorder, wires: Sequence[int] | None, n: int | None = None) -> list[int]:
    ws = list(range(q.num_wires if n is None else n)) if wires is None else list(wires)
    return ws


def _col(x: Any, i: int) -> Any:
    """Feature ``i`` of ``x``: a column of a batch ``[B, F]`` or an element of ``[F]``."""
    if isinstance(x, QTensor):
        return x[:, i] if x.ndim == 2 else x[i]
    return x[..., i] if isinstance(x, np.ndarray) and x.ndim == 2 else x[i]


def _nfeat(x: Any) -> int:
    return int(x.shape[-1]) if hasattr(x, "shape") else len(x)


def BasisEmbeddingCircuit(q: Recorder, bits: Any, wires: Sequence[int] | None = None) -> None:
    """Prepare the basis state ``|bits>``: X on the wires whose bit is 1. A tensor of bits
    (possibly batched) becomes ``U3(pi b, 0, pi b)``, which is exactly X for b = 1 and I for 0."""
    _need_recorder(q, "BasisEmbeddingCircuit")
    ws = _wires(q, wires, _nfeat(bits))
    for i, w in enumerate(ws):
        b = _col(bits, i)
        if isinstance(b, QTensor):
            t = b * math.pi
            q.u3(w, t, 0.0, t)
        elif int(b) == 1:
            q.x(w)
        elif int(b) != 0:
            raise ValueError(f"basis embedding needs bits 0/1, got {b!r}")


BasicEmbeddingCircuit = BasisEmbeddingCircuit


def AngleEmbeddingCircuit(q: Recorder, x: Any, wires: Sequence[int] | None = None,
                          rotation: str = "X") -> None:
    """Feature ``i`` as the angle of an ``R{rotation}`` on wire ``i``."""
    _need_recorder(q, "AngleEmbeddingCircuit")
    rotation = rotation.upper()
    if rotation not in ("X", "Y", "Z"):
        raise ValueError(f"rotation must be 'X', 'Y' or 'Z', got {rotation!r}")
    ws = _wires(q, wires, _nfeat(x))
    if _nfeat(x) > len(ws):
        raise ValueError(f"{_nfeat(x)} features do not fit on {len(ws)} wires")
    for i in range(_nfeat(x)):
        q.gate("R" + rotation, ws[i], _col(x, i))


def AmplitudeEmbeddingCircuit(q: Recorder, x: QTensor, wires: Sequence[int] | None = None,
                              pad_with: float = 0.0, normalize: bool = True) -> None:
    """Encode real features as amplitudes (padded to 2^k, normalised) by Mottonen's state
    preparation: a tree of uniformly controlled RY rotations (CNOT + RY, Gray code order).
    Differentiable through the angles; complex amplitudes are not supported."""
    _need_recorder(q, "AmplitudeEmbeddingCircuit")
    from .. import ops  # noqa: F401
    from ..ops import functions as F

    if not isinstance(x, QTensor):
        x = QTensor(np.asarray(x, dtype=np.float64))
    if x.dtype.kind == "c":
        raise TypeError("AmplitudeEmbeddingCircuit supports real features only")
    if x.ndim == 1:
        x = x.reshape(1, -1)
    ws = _wires(q, wires)
    k = len(ws)
    d = 2**k
    nf = x.shape[1]
    if nf > d:
        raise ValueError(f"{nf} features do not fit in the amplitudes of {k} wires")
    if nf < d:
        x = F.pad(x, (0, d - nf), value=pad_with)
    norm = F.sqrt(F.sum(x * x, axis=1, keepdims=True))
    nv = norm.numpy().reshape(-1)
    if not np.all(np.isfinite(nv)):
        rows = np.flatnonzero(~np.isfinite(nv))
        raise ValueError(f"AmplitudeEmbeddingCircuit: the features of sample(s) "
                         f"{rows[:5].tolist()} contain NaN or infinity")
    if normalize and not np.all(nv > 0):
        rows = np.flatnonzero(~(nv > 0))
        raise ValueError(f"AmplitudeEmbeddingCircuit: the features of sample(s) "
                         f"{rows[:5].tolist()} are all zero (norm 0), which no quantum state "
                         "has; drop those samples or give pad_with a non-zero value")
    if normalize:
        x = x / norm
    elif not np.allclose(norm.numpy(), 1.0, atol=1e-6):
        raise ValueError("features must have norm 1 (or pass normalize=True)")
    # level j: theta_{j, p} = 2 atan2(|right subtree|, |left subtree|) for each prefix p
    # (at the last level the signed amplitudes, which sets the signs)
    vals = x
    thetas = []
    for j in range(k - 1, -1, -1):
        pairs = vals.reshape(x.shape[0], 2**j, 2)
        a0, a1 = pairs[:, :, 0], pairs[:, :, 1]
        thetas.append(2 * F.atan2(a1, a0))
        vals = F.sqrt(a0 * a0 + a1 * a1)
    thetas = thetas[::-1]
    for j in range(k):
        _uniformly_controlled_ry(q, thetas[j], ws[:j], ws[j])


def _gray(i: int) -> int:
    return i ^ (i >> 1)


def _uniformly_controlled_ry(q: Recorder, theta: QTensor, controls: list[int],
                             target: int) -> None:
    """RY(theta[:, p]) on ``target`` for each pattern p of ``controls`` (first most
    significant), as 2^c RY + 2^c CNOT (Mottonen et al.)."""
    c = len(controls)
    if c == 0:
        q.ry(target, theta[:, 0])
        return
    m = 2**c
    # alpha = M^-1 theta with M_ij = (-1)^(b_j . g_i) / ... (g_i the Gray code of i)
    M = np.array([[(-1) ** bin(j & _gray(i)).count("1") for j in range(m)] for i in range(m)],
                 dtype=np.float64) / m
    alpha = theta @ QTensor(M.T.astype(np.float64), dtype=theta.dtype)
    for i in range(m):
        q.ry(target, alpha[:, i])
        # the control whose bit flips between gray(i) and gray(i+1), cyclically
        flip = _gray(i) ^ _gray((i + 1) % m)
        bit = flip.bit_length() - 1
        q.cnot(controls[c - 1 - bit], target)


def IQPEmbedding(q: Recorder, x: Any, wires: Sequence[int] | None = None,
                 n_repeats: int = 1) -> None:
    """H on every wire, RZ(x_i), then MultiRZ(x_i x_j) on every pair (PennyLane's pattern)."""
    _need_recorder(q, "IQPEmbedding")
    nf = _nfeat(x)
    ws = _wires(q, wires, nf)
    for _ in range(n_repeats):
        for i in range(nf):
            q.h(ws[i])
            q.rz(ws[i], _col(x, i))
        for i in range(nf):
            for j in range(i + 1, nf):
                q.multirz([ws[i], ws[j]], _col(x, i) * _col(x, j))


def _ring(q: Recorder, ws: list[int]) -> None:
    n = len(ws)
    if n == 2:
        q.cnot(ws[0], ws[1])
    elif n > 2:
        for i in range(n):
            q.cnot(ws[i], ws[(i + 1) % n])


def BasicEntangler(q: Recorder, weights: Any, wires: Sequence[int] | None = None,
                   rotation: str = "X") -> None:
    """Layers of one rotation per wire (``weights[l, i]``) then a CNOT ring."""
    _need_recorder(q, "BasicEntangler")
    L, n = weights.shape[0], weights.shape[1]
    ws = _wires(q, wires, n)
    for layer in range(L):
        for i in range(n):
            q.gate("R" + rotation.upper(), ws[i], weights[layer, i])
        _ring(q, ws)


def StronglyEntangling(q: Recorder, weights: Any, wires: Sequence[int] | None = None,
                       ranges: Sequence[int] | None = None) -> None:
    """Layers of Rot(weights[l, i, 0..2]) then CNOT(i, i + r_l mod n), r_l = l mod (n-1) + 1."""
    _need_recorder(q, "StronglyEntangling")
    L, n = weights.shape[0], weights.shape[1]
    ws = _wires(q, wires, n)
    for layer in range(L):
        for i in range(n):
            q.rot(ws[i], weights[layer, i, 0], weights[layer, i, 1], weights[layer, i, 2])
        if n > 1:
            r = ranges[layer] if ranges is not None else layer % (n - 1) + 1
            for i in range(n):
                q.cnot(ws[i], ws[(i + r) % n])


def HardwareEfficientAnsatz(q: Recorder, weights: Any, wires: Sequence[int] | None = None,
                            rotations: Sequence[str] = ("RY", "RZ"),
                            entangler: str = "CNOT") -> None:
    """Layers of the ``rotations`` on every wire (``weights[l, i, r]``) then a chain of
    two-qubit ``entangler`` gates on neighbouring wires."""
    _need_recorder(q, "HardwareEfficientAnsatz")
    L, n = weights.shape[0], weights.shape[1]
    ws = _wires(q, wires, n)
    for layer in range(L):
        for i in range(n):
            for r, rot in enumerate(rotations):
                q.gate(rot, ws[i], weights[layer, i, r])
        for i in range(n - 1):
            q.gate(entangler, (ws[i], ws[i + 1]))


def RotCircuit(q: Recorder, params: Any, wire: int) -> None:
    """One Rot(params[0], params[1], params[2]) on ``wire``."""
    _need_recorder(q, "RotCircuit")
    q.rot(wire, params[0], params[1], params[2])


def CRotCircuit(q: Recorder, params: Any, control: int, target: int) -> None:
    """One CRot(params[0], params[1], params[2])."""
    _need_recorder(q, "CRotCircuit")
    q.crot(control, target, params[0], params[1], params[2])


def qaoa_cost_layer(q: Recorder, gamma: Any, hamiltonian: Any) -> None:
    """``exp(-i gamma H)`` for a Z-only Hamiltonian: MultiRZ(2 gamma c) per term."""
    h = Hamiltonian.from_any(hamiltonian)
    for c, term in h.terms:
        if any(p != "Z" for _, p in term):
            raise ValueError("the QAOA cost layer needs a Hamiltonian of Z strings only")
        if term:
            q.multirz([w for w, _ in term], gamma * (2 * c))


def qaoa_mixer_layer(q: Recorder, beta: Any, wires: Sequence[int] | None = None) -> None:
    """``exp(-i beta sum X)``: RX(2 beta) on every wire."""
    for w in _wires(q, wires):
        q.rx(w, beta * 2)
