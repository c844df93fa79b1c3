"""The CUDA sources themselves, run on the host: the text of ``_cuda_src`` compiled as C++ with
a few lines of prelude (``__global__`` and friends defined away, one thread per launch, warp
shuffles contributing nothing, ``atomicAdd`` a plain add) and called through ctypes by the
plugin's own CUDA-path Python code (``SvOps`` / ``NnOps`` with a host kernel table instead of
CuPy's). Every kernel loops grid-stride, so one thread does all the work.

This checks each kernel's index arithmetic and formulas and the Python side's argument lists
(order, types, flags) against the conformance suite's kernel checks -- everything but the
device: parallel execution, the warp reductions and atomics, NVRTC and CuPy's launch. The
checks run once more with the kernels built with AddressSanitizer (every index in bounds). It
skips without a C++ compiler."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from vqnet_gpu import _cuda_src
from vqnet_gpu._backend import HostEmulationBackend
from vqnet_gpu._nn import NnOps
from vqnet_gpu._sv import SvOps

PRELUDE = r"""
#define VQ_HOST
#define VQ_SMEM alignas(16) static unsigned char vq_smem[1 << 16]
#define __syncthreads()
#include <cmath>
using std::exp; using std::log; using std::sqrt;
struct vq_dim3 { unsigned x, y, z; };
static vq_dim3 blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0}, gridDim = {1, 1, 1},
               blockDim = {1, 1, 1};
extern "C" void vq_set_block_y(unsigned y) { blockIdx.y = y; }
#define __global__
#define __device__
#define __forceinline__ inline
static inline int __popcll(long long v) { return __builtin_popcountll((unsigned long long)v); }
template <class T> static inline T __shfl_down_sync(unsigned, T, int) { return T(0); }
template <class T> static inline T atomicAdd(T* p, T v) { T old = *p; *p += v; return old; }
"""


class HostKernels:
    """``fn(name, real)`` like ``_cuda.CudaKernels``: the kernel compiled for the host, called
    with CuPy's launch signature ``(grid, block, args)``."""

    def __init__(self, libs: dict[str, ctypes.CDLL]) -> None:
        self.libs = libs

    def fn(self, name: str, real: str):
        lib = self.libs[real]
        f = getattr(lib, f"{name}_{_cuda_src.suffix(real)}")
        f.restype = None

        def launch(grid, block, args, shared_mem=0):
            assert shared_mem <= 1 << 16, f"{name}: {shared_mem} bytes of shared memory"
            conv = []
            for a in args:
                if isinstance(a, np.ndarray):
                    assert a.flags.c_contiguous, f"{name}: a non-contiguous array argument"
                    conv.append(ctypes.c_void_p(a.ctypes.data))
                elif isinstance(a, np.int64):
                    conv.append(ctypes.c_longlong(int(a)))
                elif isinstance(a, np.int32):
                    conv.append(ctypes.c_int(int(a)))
                elif isinstance(a, np.float64):
                    conv.append(ctypes.c_double(float(a)))
                else:
                    raise TypeError(f"{name}: argument of type {type(a).__name__} would not "
                                    "reach a CUDA kernel as a typed scalar")
            for by in range(grid[1] if len(grid) > 1 else 1):
                lib.vq_set_block_y(ctypes.c_uint(by))
                f(*conv)
        return launch


def find_cxx() -> str | None:
    return shutil.which("g++") or shutil.which("c++")


def build_host_kernels(d, cxx: str) -> HostKernels:
    """Both precisions' CUDA sources compiled for the host into ``d`` (with AddressSanitizer
    when ``VQNET_GPU_HOST_ASAN`` is set)."""
    libs = {}
    for real in ("float", "double"):
        src = d / f"k_{real}.cpp"
        src.write_text(PRELUDE + _cuda_src.source(real))
        so = d / f"k_{real}.so"
        asan = ["-fsanitize=address", "-fno-omit-frame-pointer"] if os.environ.get(
            "VQNET_GPU_HOST_ASAN") else []
        run = subprocess.run([cxx, "-std=c++17", "-O1", "-g", "-shared", "-fPIC", *asan, "-o",
                              str(so), str(src)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        libs[real] = ctypes.CDLL(str(so))
    return HostKernels(libs)


@pytest.fixture(scope="module")
def host_backend(tmp_path_factory):
    cxx = find_cxx()
    if cxx is None:
        pytest.skip("no C++ compiler: the CUDA sources cannot be run on the host")
    kern = build_host_kernels(tmp_path_factory.mktemp("cudahost"), cxx)

    class HostKernelBackend(HostEmulationBackend):
        name = "gpu-hostkernels"

        def __init__(self):
            super().__init__()
            self.sv = SvOps(np, kern)
            self.nn = NnOps(np, kern)
    return HostKernelBackend()


CHECKED = ["sv_apply_1q", "sv_apply_2q", "sv_expval_pauli", "sv_overlap", "sv_apply_seq",
           "sv_adjoint_seq", "sv_apply_affine", "softmax_cross_entropy", "sgd_step",
           "adam_step"]


@pytest.mark.parametrize("name", CHECKED)
def test_conformance_kernel_checks_on_the_host_compiled_sources(host_backend, name):
    from vqnet_spec.array.test_kernels import KERNEL_CHECKS

    check, dtypes = KERNEL_CHECKS[name]
    for dtype in dtypes:
        check(host_backend, dtype)


def test_host_path_really_calls_the_kernels(host_backend, monkeypatch):
    calls = []
    orig = host_backend.sv.cuda.fn
    monkeypatch.setattr(host_backend.sv.cuda, "fn",
                        lambda name, real: calls.append(name) or orig(name, real))
    st = np.ones((1, 8), dtype=np.complex128) / np.sqrt(8)
    host_backend.k_sv_expval_pauli(st, 3, "XII")
    host_backend.k_sv_apply_1q(st, 3, 1, np.eye(2, dtype=np.complex128)[None])
    assert calls == ["sv_pauli", "sv_1q"]


@pytest.mark.parametrize("dtype, tol", [("complex128", 1e-10), ("complex64", 2e-4)])
def test_w2_through_the_host_compiled_kernels(host_backend, dtype, tol):
    from test_emulated import run_w2

    got = run_w2(host_backend, dtype=dtype)
    ref = run_w2("numpy", dtype=dtype)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_cnn_training_through_the_host_compiled_kernels(host_backend, opt_name):
    from test_emulated import _cnn_steps

    got_l, got_p = _cnn_steps(host_backend, opt_name)
    ref_l, ref_p = _cnn_steps("numpy", opt_name)
    np.testing.assert_allclose(got_l, ref_l, rtol=1e-4)
    for g, r in zip(got_p, ref_p):
        np.testing.assert_allclose(g, r, rtol=1e-3, atol=1e-4)


pytest_plugins = ["pytester"]


def test_machine_suite_through_the_host_compiled_kernels(host_backend, pytester, monkeypatch):
    """The conformance suite's statevector machine half with the host-compiled kernels as the
    active backend (in-process: the backend object is this module's)."""
    import vqnet_core as vq

    used = []
    orig = HostKernels.fn
    monkeypatch.setattr(HostKernels, "fn",
                        lambda self, name, real: used.append(name) or orig(self, name, real))
    with vq.backend(host_backend):
        res = pytester.runpytest_inprocess("--pyargs", "vqnet_spec", "--vqnet-machine",
                                           "statevector", "-p", "no:cacheprovider")
    out = res.stdout.str()
    assert res.ret == pytest.ExitCode.OK, out[-4000:]
    assert res.parseoutcomes().get("passed", 0) > 50, out[-2000:]
    assert {"sv_1q", "sv_2q", "sv_pauli", "sv_overlap", "sv_affine", "sv_adj1q", "sv_block",
            "sv_adj2q"} <= set(used), set(used)


def test_blocked_gate_runs_cover_low_and_high_wires(host_backend, monkeypatch):
    """A run mixing gates on the low bits (grouped into one ``sv_block`` pass) and on the high
    ones, batch broadcasting both ways, against the reference composition."""
    from vqnet_core.backend import get_backend
    from vqnet_core.quantum.kernels import apply_seq_reference

    used = []
    orig = HostKernels.fn
    monkeypatch.setattr(HostKernels, "fn",
                        lambda self, name, real: used.append(name) or orig(self, name, real))
    rng = np.random.default_rng(5)
    n = 14  # kb = 11 for complex128: wires 3..13 are low
    for bs, bm in [(1, 1), (3, 1), (1, 3), (3, 3)]:
        st = (rng.standard_normal((bs, 2**n)) + 1j * rng.standard_normal((bs, 2**n)))
        gates = []
        for wires in [(13,), (5, 9), (12,), (0,), (4,), (3, 13), (1, 2), (7,), (8, 10)]:
            d = 2 ** len(wires)
            m = rng.standard_normal((bm, d, d)) + 1j * rng.standard_normal((bm, d, d))
            gates.append((wires, m))
        gates.append(((6,), np.exp(1j * rng.standard_normal((bm, 2)))))  # diagonal
        ref = apply_seq_reference(get_backend("numpy"), st, n, gates)
        for inplace in (False, True):
            got = host_backend.k_sv_apply_seq(st.copy(), n, gates, inplace=inplace)
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-9 * np.abs(ref).max())
    assert used.count("sv_block") >= 8, used


def test_host_kernels_under_address_sanitizer(tmp_path):
    """This module's kernel checks again in a child process with the kernels built with
    AddressSanitizer (gcc's runtime preloaded): an index past an array's end -- which on a GPU
    reads garbage or faults -- fails the run."""
    if os.environ.get("VQNET_GPU_HOST_ASAN"):
        pytest.skip("already under AddressSanitizer")
    gcc = shutil.which("gcc")
    lib = subprocess.run([gcc, "-print-file-name=libasan.so"], capture_output=True, text=True,
                         check=False).stdout.strip() if gcc else ""
    if not os.path.isabs(lib):
        pytest.skip("gcc's AddressSanitizer runtime (libasan.so) was not found")
    env = {**os.environ, "VQNET_GPU_HOST_ASAN": "1", "LD_PRELOAD": lib,
           "ASAN_OPTIONS": "detect_leaks=0:allocator_may_return_null=1"}
    run = subprocess.run([sys.executable, "-m", "pytest", __file__, "-p", "no:cacheprovider",
                          "-k", "conformance or blocked or w2"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "passed" in run.stdout, run.stdout[-2000:]
    # and the sanitizer is really there: a planted overrun (a 3-qubit launch on a 2-qubit
    # state) aborts the child
    plant = (f"import sys, pathlib; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
             "import numpy as np, test_cuda_host as t; "
             f"k = t.build_host_kernels(pathlib.Path({str(tmp_path)!r}), t.find_cxx()); "
             "st = np.zeros((1, 4), complex); m = np.eye(2, dtype=complex)[None]; "
             "k.fn('sv_1q', 'double')((1,), (1,), (st, st, m, np.int64(4), np.int32(2), "
             "np.int32(0), np.int32(0), np.int64(4)))")
    bad = subprocess.run([sys.executable, "-c", plant], env=env, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode != 0 and "AddressSanitizer" in bad.stderr, bad.stderr[-2000:]

