"""BatchNorm2d(32) and AvgPool2d(2) forward + backward, float32, in one process: VQNet on
backend ``cpu`` (fused C kernels), on ``numpy`` (fused NumPy kernels and, for comparison, the
reference composition) and PyTorch, 2 threads each. Prints medians and ratios to torch.

    python benchmarks/pool_norm.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.nn import functional as F  # noqa: E402

CASES = {"BatchNorm2d(32) [64,32,13,13]": (64, 32, 13, 13),
         "AvgPool2d(2) [64,32,26,26]": (64, 32, 26, 26)}


def _layer(mod, name: str):
    if name.startswith("Batch"):
        return mod.BatchNorm2d(32)
    return mod.AvgPool2D(2) if hasattr(mod, "AvgPool2D") else mod.AvgPool2d(2)


def _vq_step(name: str, backend: str, fused: bool, x: np.ndarray):
    """One training-mode forward + backward (seed: ones) of VQNet's layer on ``backend``."""
    with vq.backend(backend):
        layer, xt = _layer(vq.nn, name), vq.tensor(x, requires_grad=True)
        seed = vq.ones(*layer(xt).shape)

    def step():
        with vq.backend(backend), F.use_fused(fused):
            y = layer(xt)
            y.backward(seed)
        xt.grad = None
        return float(y.numpy().ravel()[0])
    return step


def _torch_step(name: str, x: np.ndarray):
    import torch

    torch.set_num_threads(2)
    layer, xt = _layer(torch.nn, name), torch.tensor(x, requires_grad=True)
    seed = torch.ones_like(layer(xt))

    def step():
        y = layer(xt)
        y.backward(seed)
        xt.grad = None
        return float(y.detach().reshape(-1)[0])
    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    import vqnet_cpu

    vqnet_cpu.set_num_threads(2)
    rng = np.random.default_rng(0)
    for name, shape in CASES.items():
        x = rng.standard_normal(shape).astype(np.float32)
        runners = {"cpu": _vq_step(name, "cpu", True, x),
                   "numpy (fused)": _vq_step(name, "numpy", True, x),
                   "numpy (reference)": _vq_step(name, "numpy", False, x)}
        try:
            runners["torch"] = _torch_step(name, x)
        except ImportError:
            pass
        times: dict[str, list[float]] = {k: [] for k in runners}
        firsts = {k: f() for k, f in runners.items()}  # warm-up; the outputs must agree
        for _ in range(args.repeats):  # take turns so drift hits every side alike
            for k, f in runners.items():
                t0 = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t0)
        base = statistics.median(times["torch"]) if "torch" in times else None
        print(f"{name}  (median of {args.repeats}, forward + backward)")
        for k, ts in times.items():
            med = statistics.median(ts)
            ratio = f"  {med / base:5.2f}x torch" if base else ""
            print(f"  {k:18s} {med * 1e3:8.3f} ms{ratio}   out[0]={firsts[k]:+.5f}")


if __name__ == "__main__":
    main()
