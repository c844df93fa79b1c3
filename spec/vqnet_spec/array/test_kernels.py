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


def _fused_vs_reference(B: Any, dtype: str, name: str, fn: Callable, makers: list) -> None:
    """Run ``fn`` with fused kernels and inside ``use_fused(False)``; compare outputs and the
    gradients of every input."""
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
    rtol, atol = rtol * 10, atol * 100
    check_native(B, out._data, ref.numpy(), dtype, f"kernel {name} forward vs the reference",
                 rtol, atol)
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        check_native(B, g._data, r.numpy(), dtype,
                     f"kernel {name}_backward: gradient of input {i} vs the reference", rtol,
                     atol)


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


#: kernel name -> (check(B, dtype), the dtypes it is checked in)
KERNEL_CHECKS: dict[str, tuple[Callable[[Any, str], None], tuple[str, ...]]] = {
    "einsum": (check_einsum, FLOAT_DTYPES + COMPLEX_DTYPES),
    "conv2d": (check_conv2d, FLOAT_DTYPES),
    "conv_transpose2d": (check_conv_transpose2d, FLOAT_DTYPES),
    "max_pool2d": (check_max_pool2d, FLOAT_DTYPES),
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
