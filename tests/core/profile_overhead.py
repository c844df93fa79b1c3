"""Per-op Python overhead of the core vs PyTorch (not a test; run by hand).

A chain of 100 small elementwise ops on 4-element float64 tensors, forward + backward.

    python tests/core/profile_overhead.py            # timings
    python tests/core/profile_overhead.py --profile  # plus a cProfile of the VQNet chain
"""

from __future__ import annotations

import sys
import time
import timeit
from pathlib import Path

import numpy as np

# the same chains as benchmarks/overhead.py, timed here by CPU time and profiled
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from overhead import chain_torch, chain_vq  # noqa: E402


def main() -> None:
    # CPU time, interleaved, best of many rounds: the machine is shared, wall time is noisy.
    x0 = np.linspace(-1, 1, 4)
    fns = {"vqnet": chain_vq}
    try:
        import torch

        torch.set_num_threads(1)
        fns["torch"] = chain_torch
    except ImportError:
        print("torch not installed")
    best = {k: float("inf") for k in fns}
    for _ in range(30):
        for k, fn in fns.items():
            t = timeit.timeit(lambda: fn(x0), number=10, timer=time.process_time) / 10  # noqa: B023
            best[k] = min(best[k], t)
    print(f"vqnet: {best['vqnet'] * 1e3:.3f} ms per 100-op forward+backward (CPU time)")
    if "torch" in best:
        print(f"torch: {best['torch'] * 1e3:.3f} ms   ratio vqnet/torch = "
              f"{best['vqnet'] / best['torch']:.2f}")
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        for _ in range(200):
            chain_vq(x0)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
