"""Optional fused kernels against the core's reference compositions.

Policy: every kernel a backend declares in ``capabilities.kernels`` must be checked here. A
declared name the suite does not know FAILS ``test_every_declared_kernel_is_checked`` -- the
core will call that kernel, so it must not run unchecked. Add a check to ``KERNEL_CHECKS``
(and a reference composition to the core), or list the test id with a reason in the backend's
expected-failures file. ``<name>_backward`` kernels are checked together with ``<name>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.ops.linalg import _parse, einsum_reference

from ..compare import COMPLEX_DTYPES, FLOAT_DTYPES, check_native, rng_for, sample, tolerance
from ._caps import require_dtype, require_kernel

EINSUM_SPECS = [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
                ("i,i->", [(5,), (5,)]), ("ij->ji", [(3, 4)]), ("ij,kl->ikjl", [(2, 3), (2, 2)]),
                ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]), ("ij,jk", [(3, 4), (4, 2)]),
                ("abc,cd,d->ab", [(2, 3, 4), (4, 3), (3,)]), ("ij->", [(3, 4)]),
                ("i,j->ij", [(3,), (4,)])]


def check_einsum(B: Any, dtype: str) -> None:
    k = require_kernel(B, "einsum")
    for spec, shapes in EINSUM_SPECS:
        rng = rng_for("einsum", spec, dtype)
        xs = [sample(rng, s, dtype) for s in shapes]
        spec_in, spec_out = _parse(spec, shapes)
        ref = B.to_numpy(einsum_reference(B, spec_in, spec_out, [B.from_numpy(x) for x in xs]))
        got = k(",".join(spec_in) + "->" + spec_out, *[B.from_numpy(x) for x in xs])
        rtol, atol = tolerance(dtype)
        check_native(B, got, ref, dtype, f"kernel einsum {spec!r} vs einsum_reference",
                     rtol=rtol * 10, atol=atol * 10)


def _fused_vs_reference(B: Any, dtype: str, name: str, fn: Callable, makers: list,
                        tol: tuple[float, float] | None = None, case: str = "") -> None:
    """Run ``fn`` with fused kernels and inside ``use_fused(False)``; compare outputs and the
    gradients of every input (within ``tol`` = ``(rtol, atol)`` when given; ``case`` names
    the case in failure messages)."""
    from vqnet_core.nn._fused import use_fused

    require_kernel(B, name)
    require_kernel(B, name + "_backward")
    rng = rng_for(name, dtype)
    host = [m(rng) for m in makers]
    results = []
    for fused in (True, False):
        ins = [vq.tensor(h, dtype=dtype, requires_grad=True) for h in host]
        with use_fused(fused):
            out = fn(*ins)
        seed = rng_for(name, "seed").standard_normal(out.shape)
        out.backward(vq.tensor(seed, dtype=dtype))
        results.append((out, [t.grad for t in ins]))
    (out, grads), (ref, ref_grads) = results
    rtol, atol = tolerance(dtype)
    rtol, atol = tol if tol is not None else (rtol * 10, atol * 100)
    case = f" ({case})" if case else ""
    check_native(B, out._data, ref.numpy(), dtype,
                 f"kernel {name} forward{case} vs the reference", rtol, atol)
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        check_native(B, g._data, r.numpy(), dtype,
                     f"kernel {name}_backward{case}: gradient of input {i} vs the reference",
                     rtol, atol)


def check_relu(B: Any, dtype: str) -> None:
    """Forward and gradient against ``where(x <= 0, 0, x)`` on the tape, with exact zeros,
    negative zeros, NaN and infinities among the inputs."""
    from vqnet_core.nn import functional as F

    def sample_with_specials(rng):
        x = rng.uniform(-1, 1, (3, 5, 7))
        x.flat[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30]
        return x
    _fused_vs_reference(B, dtype, "relu", F.relu, [sample_with_specials])


def _conv_cases():
    from vqnet_core.nn import functional as F

    def u(*s):
        return lambda rng: rng.uniform(-1, 1, s)
    return [
        (lambda x, w, b: F.conv2d(x, w, b), [u(2, 3, 6, 5), u(4, 3, 3, 2), u(4)]),
        (lambda x, w: F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2)),
         [u(1, 2, 7, 7), u(3, 2, 3, 3)]),
        (lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2),
         [u(2, 4, 5, 5), u(6, 2, 3, 3), u(6)]),
    ]


def check_conv2d(B: Any, dtype: str) -> None:
    for fn, makers in _conv_cases():
        _fused_vs_reference(B, dtype, "conv2d", fn, makers)


def check_conv_transpose2d(B: Any, dtype: str) -> None:
    from vqnet_core.nn import functional as F

    def u(*s):
        return lambda rng: rng.uniform(-1, 1, s)
    for fn, makers in [
        (lambda x, w, b: F.conv_transpose2d(x, w, b), [u(2, 3, 4, 5), u(3, 2, 3, 3), u(2)]),
        (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
         [u(1, 2, 4, 4), u(2, 3, 3, 3)]),
        (lambda x, w: F.conv_transpose2d(x, w, groups=2, dilation=2),
         [u(1, 4, 3, 3), u(4, 1, 2, 2)]),
    ]:
        _fused_vs_reference(B, dtype, "conv_transpose2d", fn, makers)


def check_max_pool2d(B: Any, dtype: str) -> None:
    from vqnet_core.nn import functional as F

    def u(*s):
        return lambda rng: rng.permutation(int(np.prod(s))).reshape(s) / 7.0  # no ties
    for fn, makers in [
        (lambda x: F.max_pool2d(x, 2), [u(2, 3, 6, 6)]),
        (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [u(1, 2, 7, 6)]),
        (lambda x: F.max_pool2d(x, (2, 3), stride=1, dilation=2), [u(1, 1, 7, 8)]),
    ]:
        _fused_vs_reference(B, dtype, "max_pool2d", fn, makers)

    def negative(*s):  # all below zero, far from it: padding must act as -inf, not as 0
        return lambda rng: -1000.0 - rng.permutation(int(np.prod(s))).reshape(s) / 7.0
    _fused_vs_reference(B, dtype, "max_pool2d",
                        lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [negative(1, 2, 7, 6)],
                        case="all inputs near -1000 with padding")


def check_avg_pool2d(B: Any, dtype: str) -> None:
    from vqnet_core.nn import functional as F

    def u(*s):
        return lambda rng: rng.uniform(-1, 1, s)
    for fn, makers in [
        (lambda x: F.avg_pool2d(x, 2), [u(2, 3, 6, 7)]),
        (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [u(1, 2, 7, 6)]),
        (lambda x: F.avg_pool2d(x, (3, 2), stride=(1, 2), padding=(1, 1),
                                count_include_pad=False), [u(2, 2, 5, 6)]),
        (lambda x: F.avg_pool2d(x, 3, stride=1, padding="same", count_include_pad=False),
         [u(1, 2, 4, 5)]),
        (lambda x: F.avg_pool2d(x, 2, padding=1, divisor_override=3), [u(1, 1, 5, 5)]),
    ]:
        _fused_vs_reference(B, dtype, "avg_pool2d", fn, makers)


def _check_running_stats(B: Any, dtype: str) -> None:
    """The running-stat update after a fused batch_norm equals the reference's."""
    from vqnet_core.nn import functional as F
    from vqnet_core.nn._fused import use_fused

    rng = rng_for("batch_norm", "running", dtype)
    x = rng.uniform(-2, 2, (5, 3, 4))
    stats = []
    for fused in (True, False):
        rm, rv = vq.tensor([0.5, -1.0, 0.0], dtype=dtype), vq.tensor([1.0, 2.0, 0.5], dtype=dtype)
        with use_fused(fused):
            F.batch_norm(vq.tensor(x, dtype=dtype), rm, rv, training=True, momentum=0.3)
        stats.append((rm, rv))
    rtol, atol = tolerance(dtype)
    for name, got, ref in zip(("running_mean", "running_var"), stats[0], stats[1]):
        check_native(B, got._data, ref.numpy(), dtype,
                     f"kernel batch_norm: {name} after a training step vs the reference",
                     rtol * 10, atol * 10)


def check_batch_norm(B: Any, dtype: str) -> None:
    from vqnet_core.nn import functional as F

    def u(*s, lo=-1.0):
        return lambda rng: rng.uniform(lo, 1, s)

    def stats(x):  # running stats as constants of the input's dtype
        return (vq.tensor([0.1, -0.2, 0.3], dtype=x.dtype),
                vq.tensor([0.5, 1.5, 2.0], dtype=x.dtype))
    for fn, makers in [
        (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         [u(4, 3, 5, 6), u(3), u(3)]),
        (lambda x: F.batch_norm(x, None, None, training=True, eps=1e-3), [u(6, 3)]),
        (lambda x, w: F.batch_norm(x, None, None, w, training=True), [u(2, 3, 7), u(3)]),
        (lambda x, w, b: F.batch_norm(x, *stats(x), w, b), [u(3, 3, 4, 2), u(3), u(3)]),
        (lambda x, b: F.batch_norm(x, *stats(x), bias=b), [u(2, 3, 5), u(3)]),
    ]:
        _fused_vs_reference(B, dtype, "batch_norm", fn, makers)
    _check_batch_norm_stability(B, dtype)
    _check_running_stats(B, dtype)


def batch_norm_stability_cases(dtype: str) -> list[tuple[str, Callable, list, tuple]]:
    """``(case, fn, makers, (rtol, atol))``: batch statistics that a careless kernel gets
    wrong.

    * A large mean with a small spread (1e3 + U(-1, 1) in float32, 1e7 + U(-1, 1) in
      float64): a one-pass ``E[x^2] - E[x]^2`` variance in the input's precision cancels
      catastrophically (errors of 0.5 and more, or NaN); a two-pass one stays within a few
      roundings of the mean, which sets the tolerance.
    * A variance of about 3e-7, below the default ``eps = 1e-5``: ``eps`` must be added to the
      variance under the square root (not to the standard deviation).
    * A constant channel (variance exactly 0): ``1/sqrt(0 + eps)``, finite; without ``eps``
      it is 0/0.
    """
    from vqnet_core.nn import functional as F

    eps = float(np.finfo(dtype).eps)
    off = 1e3 if dtype == "float32" else 1e7
    rtol, atol = tolerance(dtype)

    def shifted(rng):
        return off + rng.uniform(-1, 1, (4, 3, 5, 6))

    def tiny(rng):
        return 1e-3 * rng.uniform(-1, 1, (4, 3, 5))

    def constant(rng):
        x = rng.uniform(-1, 1, (4, 3, 5))
        x[:, 1] = 0.1
        return x

    def u(rng):
        return rng.uniform(0.5, 1.5, (3,))
    return [
        (f"mean {off:g}, spread 1: a one-pass variance cancels",
         lambda x, w: F.batch_norm(x, None, None, w, training=True), [shifted, u],
         (rtol * 10, 16 * eps * off)),
        ("variance 3e-7 < eps: eps goes under the square root",
         lambda x, b: F.batch_norm(x, None, None, bias=b, training=True), [tiny, u],
         (rtol * 10, atol * 100)),
        ("a constant channel: variance 0, eps keeps it finite",
         lambda x: F.batch_norm(x, None, None, training=True), [constant],
         (rtol * 10, atol * 100)),
    ]


def _check_batch_norm_stability(B: Any, dtype: str) -> None:
    for case, fn, makers, tol in batch_norm_stability_cases(dtype):
        _fused_vs_reference(B, dtype, "batch_norm", fn, makers, tol, case)


def _kernel_pair(B: Any, name: str):
    require_kernel(B, name)
    return B.kernel(name)


def check_softmax_cross_entropy(B: Any, dtype: str) -> None:
    from vqnet_core.nn.loss import (
        softmax_cross_entropy_backward_reference,
        softmax_cross_entropy_reference,
    )

    fwd = _kernel_pair(B, "softmax_cross_entropy")
    bwd = _kernel_pair(B, "softmax_cross_entropy_backward")
    rtol, atol = tolerance(dtype)
    for n, c in [(1, 2), (7, 10), (33, 5)]:
        rng = rng_for("softmax_cross_entropy", n, c, dtype)
        logits = B.from_numpy((rng.standard_normal((n, c)) * 5).astype(dtype))
        labels = B.from_numpy(rng.integers(0, c, n).astype("int64"))
        g = B.from_numpy(rng.standard_normal(n).astype(dtype))
        ref = B.to_numpy(softmax_cross_entropy_reference(B, logits, labels))
        check_native(B, fwd(logits, labels), ref, dtype,
                     f"kernel softmax_cross_entropy [{n}x{c}] vs the reference",
                     rtol * 10, atol * 10)
        ref_g = B.to_numpy(softmax_cross_entropy_backward_reference(B, logits, labels, g))
        check_native(B, bwd(logits, labels, g), ref_g, dtype,
                     f"kernel softmax_cross_entropy_backward [{n}x{c}] vs the reference",
                     rtol * 10, atol * 10)
    # Stability: rows near +1000 and -1000 (exp overflows to inf / underflows to 0 unless the
    # row maximum is subtracted first) and rows spread over +-3000 (a one-hot softmax, losses
    # up to ~6000). Tolerance: a few roundings of the logits' magnitude.
    rng = rng_for("softmax_cross_entropy", "large", dtype)
    base = rng.standard_normal((5, 4)) * 3
    host = np.concatenate([base + 1000.0, base - 1000.0, base * 1000.0]).astype(dtype)
    logits = B.from_numpy(host)
    labels = B.from_numpy(rng.integers(0, 4, host.shape[0]).astype("int64"))
    g = B.from_numpy(rng.standard_normal(host.shape[0]).astype(dtype))
    big_atol = atol * 10 + 8 * float(np.finfo(dtype).eps) * float(np.max(np.abs(host)))
    what = f"[{host.shape[0]}x4] logits of magnitude 1000 and more"
    ref = B.to_numpy(softmax_cross_entropy_reference(B, logits, labels))
    check_native(B, fwd(logits, labels), ref, dtype,
                 f"kernel softmax_cross_entropy {what} vs the reference (subtract the row max "
                 "before exp)", rtol * 10, big_atol)
    ref_g = B.to_numpy(softmax_cross_entropy_backward_reference(B, logits, labels, g))
    check_native(B, bwd(logits, labels, g), ref_g, dtype,
                 f"kernel softmax_cross_entropy_backward {what} vs the reference (subtract the "
                 "row max before exp)", rtol * 10, big_atol)


def _optimizer_arrays(B: Any, name: str, dtype: str, shape=(5, 3)):
    rng = rng_for(name, dtype)
    return [B.from_numpy(rng.standard_normal(shape).astype(dtype)) for _ in range(4)]


def check_sgd_step(B: Any, dtype: str) -> None:
    from vqnet_core.optim.sgd import sgd_step_reference

    k = _kernel_pair(B, "sgd_step")
    p, g, buf, _ = _optimizer_arrays(B, "sgd_step", dtype)
    rtol, atol = tolerance(dtype)
    for args in [(None, 0.1, 0.0, 0.0, False, 0.0, False), (None, 0.1, 0.9, 0.0, False, 0.0, False),
                 (buf, 0.05, 0.9, 0.1, False, 1e-2, False), (buf, 0.05, 0.9, 0.0, True, 0.0, True)]:
        got = k(p, g, *args)
        ref = sgd_step_reference(B, p, g, *args)
        for i, (a, r) in enumerate(zip(got, ref)):
            if r is None:
                assert a is None, f"kernel sgd_step output {i} should be None for {args}"
                continue
            check_native(B, a, B.to_numpy(r), dtype, f"kernel sgd_step output {i} {args}",
                         rtol * 10, atol * 10)


def check_adam_step(B: Any, dtype: str) -> None:
    from vqnet_core.optim.adam import adam_step_reference

    k = _kernel_pair(B, "adam_step")
    p, g, m, v = _optimizer_arrays(B, "adam_step", dtype)
    v = B.unary("abs", v)
    rtol, atol = tolerance(dtype)
    for step, amsgrad, wd, decoupled, maximize in [(1, False, 0.0, False, False),
                                                   (3, True, 1e-2, False, False),
                                                   (7, False, 1e-2, True, True)]:
        vmax = B.binary("mul", v, 0.5) if amsgrad else None
        args = (m, v, vmax, step, 1e-3, 0.9, 0.999, 1e-8, wd, amsgrad, maximize, decoupled)
        got = k(p, g, *args)
        ref = adam_step_reference(B, p, g, *args)
        for i, (a, r) in enumerate(zip(got, ref)):
            if r is None:
                continue
            check_native(B, a, B.to_numpy(r), dtype, f"kernel adam_step output {i} "
                         f"(step={step}, amsgrad={amsgrad}, wd={wd}, decoupled={decoupled})",
                         rtol * 10, atol * 10)
    # Stability: parameters of ~1e-3 and gradients of ~1e-10, so that sqrt(v_hat) ~ 1e-10 is
    # far below eps = 1e-8: the update is lr * m_hat / (sqrt(v_hat) + eps) ~ lr * 1e-2; eps
    # inside the square root (lr * m_hat / sqrt(v_hat + eps)) makes it 1e4 times smaller.
    # And a late step (10000, bias corrections near 1).
    rng = rng_for("adam_step", "tiny", dtype)
    tiny = [B.from_numpy((rng.standard_normal((5, 3)) * s).astype(dtype))
            for s in (1e-3, 1e-10, 1e-10, 1e-20)]
    p, g, m, v = tiny[0], tiny[1], tiny[2], B.unary("abs", tiny[3])
    for step in (1, 10000):
        args = (m, v, None, step, 1e-3, 0.9, 0.999, 1e-8, 0.0, False, False, False)
        got, ref = k(p, g, *args), adam_step_reference(B, p, g, *args)
        for i, (a, r) in enumerate(zip(got, ref)):
            if r is None:
                continue
            check_native(B, a, B.to_numpy(r), dtype, f"kernel adam_step output {i} with "
                         f"gradients of 1e-10 (sqrt(v) << eps), step={step}", rtol * 10,
                         atol * 1e-4 if i else atol * 10)


# ---- state-vector kernels (vqnet_core.quantum.kernels) ------------------------------------
_SV_BATCHES = [(1, 1), (3, 1), (1, 3), (3, 3)]  # (state batch, matrix / second-state batch)


def _sv_sample(rng, shape, dtype: str, normalise: bool = False) -> np.ndarray:
    v = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    if normalise:
        v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return v.astype(dtype)


def _sv_wire_sets(n: int, k: int) -> list[tuple[int, ...]]:
    return [(w,) for w in range(n)] if k == 1 else \
        [(a, b) for a in range(n) for b in range(a + 1, n)]


def _check_sv_apply(B: Any, dtype: str, name: str, k: int) -> None:
    from vqnet_core.quantum.kernels import apply_matrix_reference

    kern = _kernel_pair(B, name)
    rtol, atol = tolerance(dtype)
    d = 2**k
    for n in (k, 3, 6):
        for bs, bm in _SV_BATCHES:
            rng = rng_for(name, n, bs, bm, dtype)
            state = B.from_numpy(_sv_sample(rng, (bs, 2**n), dtype, True))
            for wires in _sv_wire_sets(n, k):
                mat = B.from_numpy(_sv_sample(rng, (bm, d, d), dtype))
                ref = B.to_numpy(apply_matrix_reference(B, state, n, wires, mat))
                got = kern(state, n, wires[0] if k == 1 else wires, mat)
                check_native(B, got, ref, dtype, f"kernel {name} n={n} wires={wires} "
                             f"batches={bs},{bm} vs apply_matrix_reference", rtol * 10,
                             atol * 10)


def check_sv_apply_1q(B: Any, dtype: str) -> None:
    _check_sv_apply(B, dtype, "sv_apply_1q", 1)


def check_sv_apply_2q(B: Any, dtype: str) -> None:
    _check_sv_apply(B, dtype, "sv_apply_2q", 2)


def check_sv_expval_pauli(B: Any, dtype: str) -> None:
    from vqnet_core.quantum.kernels import expval_pauli_reference

    kern = _kernel_pair(B, "sv_expval_pauli")
    rtol, atol = tolerance(dtype)
    rdt = "float32" if dtype == "complex64" else "float64"  # the result is real
    for n in (1, 3, 6):
        rng = rng_for("sv_expval_pauli", n, dtype)
        state = B.from_numpy(_sv_sample(rng, (3, 2**n), dtype, True))
        words = ["I" * n, "Z" * n, "X" * n, "Y" * n] + \
            ["".join(rng.choice(list("IXYZ"), n)) for _ in range(6)]
        for word in words:
            ref = B.to_numpy(expval_pauli_reference(B, state, n, word))
            check_native(B, kern(state, n, word), ref, rdt,
                         f"kernel sv_expval_pauli {word!r} vs expval_pauli_reference",
                         rtol * 10, atol * 10)


def check_sv_overlap(B: Any, dtype: str) -> None:
    from vqnet_core.quantum.kernels import overlap_reference

    kern = _kernel_pair(B, "sv_overlap")
    rtol, atol = tolerance(dtype)
    for n in (2, 5):
        for bp, bq in _SV_BATCHES:
            rng = rng_for("sv_overlap", n, bp, bq, dtype)
            phi = B.from_numpy(_sv_sample(rng, (bp, 2**n), dtype, True))
            psi = B.from_numpy(_sv_sample(rng, (bq, 2**n), dtype, True))
            for wires in _sv_wire_sets(n, 1) + _sv_wire_sets(n, 2):
                ref = B.to_numpy(overlap_reference(B, phi, psi, n, wires))
                check_native(B, kern(phi, psi, n, wires), ref, dtype,
                             f"kernel sv_overlap n={n} wires={wires} batches={bp},{bq} vs "
                             "overlap_reference", rtol * 10, atol * 10)


def _sv_gate_list(rng, n: int, count: int, bm: int, dtype: str) -> list[tuple]:
    """Random one- and two-wire gates, dense or diagonal, batch ``bm`` or 1, on ``n`` wires:
    consecutive ones on nearby wires (a kernel may block them) and far apart ones."""
    gates = []
    for _ in range(count):
        k = 1 if n == 1 or rng.random() < 0.6 else 2
        wires = tuple(sorted(int(w) for w in rng.choice(n, k, replace=False)))
        b = bm if rng.random() < 0.7 else 1
        shape = (b, 2**k) if rng.random() < 0.25 else (b, 2**k, 2**k)
        gates.append((wires, _sv_sample(rng, shape, dtype)))
    return gates


def _sv_seq_cases(name: str, dtype: str):
    """``(n, state batch, matrix batch, rng)`` for the gate-run kernels: one wire, a few, and
    15 wires (several cache blocks and passes in an engine that blocks)."""
    for n in (1, 3, 7, 15):
        for bs, bm in _SV_BATCHES:
            yield n, bs, bm, rng_for(name, n, bs, bm, dtype)


def check_sv_apply_seq(B: Any, dtype: str) -> None:
    from vqnet_core.quantum.kernels import apply_seq_reference

    kern = _kernel_pair(B, "sv_apply_seq")
    rtol, atol = tolerance(dtype)
    for n, bs, bm, rng in _sv_seq_cases("sv_apply_seq", dtype):
        state = _sv_sample(rng, (bs, 2**n), dtype, True)
        gates = [(w, B.from_numpy(m)) for w, m in _sv_gate_list(rng, n, 14, bm, dtype)]
        ref = B.to_numpy(apply_seq_reference(B, B.from_numpy(state), n, gates))
        check_native(B, kern(B.from_numpy(state), n, gates), ref, dtype,
                     f"kernel sv_apply_seq n={n} batches={bs},{bm} vs apply_seq_reference",
                     rtol * 20, atol * 20)
        got = kern(B.from_numpy(state.copy()), n, gates, inplace=True)
        check_native(B, got, ref, dtype, f"kernel sv_apply_seq n={n} batches={bs},{bm} "
                     "inplace=True vs apply_seq_reference", rtol * 20, atol * 20)
    check_native(B, kern(B.from_numpy(state), n, []), state, dtype,
                 "kernel sv_apply_seq with no gates (the state itself)", rtol, atol)
    check_native(B, kern(B.from_numpy(state.copy()), n, [], inplace=True), state, dtype,
                 "kernel sv_apply_seq with no gates, inplace=True", rtol, atol)


def _magnitude(r: np.ndarray) -> float:
    """The scale of the absolute error of a gate run: the random gates are not unitary, the
    values grow to ~1e3-1e5 over 14 gates, and the rounding of any order of operations (a
    GEMM, a fused kernel, an FMA) grows with the largest of them, not with each element."""
    return max(1.0, float(np.abs(r).max(initial=0.0)))


def check_sv_adjoint_seq(B: Any, dtype: str) -> None:
    from vqnet_core.quantum.kernels import adjoint_seq_reference

    kern = _kernel_pair(B, "sv_adjoint_seq")
    rtol, atol = tolerance(dtype)
    for n, bs, bm, rng in _sv_seq_cases("sv_adjoint_seq", dtype):
        ket = B.from_numpy(_sv_sample(rng, (bs, 2**n), dtype, True))
        brac = B.from_numpy(_sv_sample(rng, (bs, 2**n), dtype, True))
        gates = [(w, B.from_numpy(m), B.from_numpy(np.conj(m)), bool(rng.random() < 0.7))
                 for w, m in _sv_gate_list(rng, n, 14, bm, dtype)]
        ref = adjoint_seq_reference(B, ket, brac, n, gates)
        got = kern(ket, brac, n, gates)
        what = f"kernel sv_adjoint_seq n={n} batches={bs},{bm}"
        assert len(got[2]) == len(ref[2]), \
            f"{what}: {len(got[2])} overlaps returned, expected {len(ref[2])} (one per want)"
        for i, (a, r) in enumerate(zip(got[:2], ref[:2])):
            r = B.to_numpy(r)
            check_native(B, a, r, dtype,
                         f"{what}: {('ket', 'brac')[i]} vs adjoint_seq_reference",
                         rtol * 20, atol * 20 * _magnitude(r))
        for i, (a, r) in enumerate(zip(got[2], ref[2])):
            check_native(B, a, B.to_numpy(r), dtype,
                         f"{what}: overlap {i} vs adjoint_seq_reference", rtol * 50,
                         atol * 50)
        # inplace=True: the inputs are given up (fresh copies here); the results are the same
        got = kern(B.from_numpy(B.to_numpy(ket).copy()), B.from_numpy(B.to_numpy(brac).copy()),
                   n, gates, inplace=True)
        for i, (a, r) in enumerate(zip(got[:2], ref[:2])):
            r = B.to_numpy(r)
            check_native(B, a, r, dtype,
                         f"{what} inplace=True: {('ket', 'brac')[i]} vs adjoint_seq_reference",
                         rtol * 20, atol * 20 * _magnitude(r))
        for i, (a, r) in enumerate(zip(got[2], ref[2])):
            check_native(B, a, B.to_numpy(r), dtype,
                         f"{what} inplace=True: overlap {i} vs adjoint_seq_reference",
                         rtol * 50, atol * 50)


def check_sv_apply_affine(B: Any, dtype: str) -> None:
    from vqnet_core.quantum.kernels import apply_affine_reference

    kern = _kernel_pair(B, "sv_apply_affine")
    for n in (1, 2, 5, 13, 14):
        for bs in (1, 3):
            rng = rng_for("sv_apply_affine", n, bs, dtype)
            # a random invertible linear part: the identity under random row additions
            cols = [1 << t for t in range(n)]
            for _ in range(4 * n):
                a, b = (int(v) for v in rng.choice(n, 2, replace=n == 1))
                if a != b:
                    cols = [v ^ (1 << a) if v >> b & 1 else v for v in cols]
            c = int(rng.integers(2**n))
            state = B.from_numpy(_sv_sample(rng, (bs, 2**n), dtype))
            ref = B.to_numpy(apply_affine_reference(B, state, n, cols, c))
            check_native(B, kern(state, n, tuple(cols), c), ref, dtype,
                         f"kernel sv_apply_affine n={n} batch={bs} vs apply_affine_reference",
                         0, 0)


#: kernel name -> (check(B, dtype), the dtypes it is checked in)
KERNEL_CHECKS: dict[str, tuple[Callable[[Any, str], None], tuple[str, ...]]] = {
    "einsum": (check_einsum, FLOAT_DTYPES + COMPLEX_DTYPES),
    "relu": (check_relu, FLOAT_DTYPES),
    "conv2d": (check_conv2d, FLOAT_DTYPES),
    "conv_transpose2d": (check_conv_transpose2d, FLOAT_DTYPES),
    "max_pool2d": (check_max_pool2d, FLOAT_DTYPES),
    "avg_pool2d": (check_avg_pool2d, FLOAT_DTYPES),
    "batch_norm": (check_batch_norm, FLOAT_DTYPES),
    "softmax_cross_entropy": (check_softmax_cross_entropy, FLOAT_DTYPES),
    "sgd_step": (check_sgd_step, FLOAT_DTYPES),
    "adam_step": (check_adam_step, FLOAT_DTYPES),
    "sv_apply_1q": (check_sv_apply_1q, COMPLEX_DTYPES),
    "sv_apply_2q": (check_sv_apply_2q, COMPLEX_DTYPES),
    "sv_expval_pauli": (check_sv_expval_pauli, COMPLEX_DTYPES),
    "sv_overlap": (check_sv_overlap, COMPLEX_DTYPES),
    "sv_apply_seq": (check_sv_apply_seq, COMPLEX_DTYPES),
    "sv_adjoint_seq": (check_sv_adjoint_seq, COMPLEX_DTYPES),
    "sv_apply_affine": (check_sv_apply_affine, COMPLEX_DTYPES),
}


@pytest.mark.parametrize("name,dtype", [(n, d) for n, (_, ds) in KERNEL_CHECKS.items()
                                        for d in ds])
def test_kernel(vqnet_backend, name, dtype):
    """A declared kernel agrees with the reference composition (skip when not declared)."""
    require_dtype(vqnet_backend, dtype)
    KERNEL_CHECKS[name][0](vqnet_backend, dtype)


def test_every_declared_kernel_is_checked(vqnet_backend):
    """Every name in ``capabilities.kernels`` has a check here and a ``k_<name>`` method."""
    B = vqnet_backend
    declared = sorted(B.capabilities.kernels)
    missing = [k for k in declared if B.kernel(k) is None]
    assert not missing, (f"backend {B.name!r} declares kernels {missing} but B.kernel(name) "
                         "returns None for them: define methods k_<name>")
    known = set(KERNEL_CHECKS) | {k + "_backward" for k in KERNEL_CHECKS}
    unknown = [k for k in declared if k not in known]
    assert not unknown, (
        f"backend {B.name!r} declares kernels {unknown} that vqnet_spec has no reference check "
        "for, so the core would use them unchecked. Add a check to "
        "vqnet_spec/array/test_kernels.py::KERNEL_CHECKS, or list "
        "'test_every_declared_kernel_is_checked' in your --vqnet-xfails file with a reason.")
