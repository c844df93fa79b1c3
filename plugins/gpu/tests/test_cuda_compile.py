"""Every RawKernel source compiles: ``nvcc --ptx`` here (no device needed), NVRTC (CuPy) on a
GPU. Catches syntax and type errors of the CUDA code on machines without a GPU; it does not
run the kernels (that is tests/test_gpu.py and the conformance suite on a device)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from vqnet_gpu._cuda_src import KERNELS, source, suffix

REALS = ("float", "double")


@pytest.mark.parametrize("real", REALS)
def test_nvcc_compiles_every_kernel(tmp_path, real):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc is not on PATH: the CUDA sources are compiled on a GPU only")
    cu = tmp_path / f"k_{real}.cu"
    cu.write_text(source(real))
    ptx = tmp_path / f"k_{real}.ptx"
    # sm_80: the oldest architecture with every atomic the kernels use (double atomicAdd
    # needs sm_60); -Werror all-warnings: an unused variable or a narrowing is an error too
    run = subprocess.run([nvcc, "--ptx", "-arch=sm_80", "-std=c++17", "-Werror",
                          "all-warnings", str(cu), "-o", str(ptx)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"nvcc failed on the {real} kernels:\n{run.stderr}"
    entries = set(re.findall(r"\.entry\s+(\w+)", ptx.read_text()))
    want = {f"{k}_{suffix(real)}" for k in KERNELS}
    assert want <= entries, f"kernels missing from the PTX: {sorted(want - entries)}"


@pytest.mark.parametrize("real", REALS)
def test_nvrtc_compiles_every_kernel(gpu, real):
    for k in KERNELS:
        assert gpu.cuda.fn(k, real) is not None


def test_sources_are_header_free():
    for real in REALS:
        assert "#include" not in source(real)  # NVRTC has no system headers
