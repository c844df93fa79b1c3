"""conv2d forward + backward at the W3 shapes: vqnet_cpu vs the NumPy backend vs PyTorch.

All three run with 2 threads (vqnet_cpu.set_num_threads(2), torch.set_num_threads(2); NumPy's
BLAS follows OPENBLAS_NUM_THREADS / the machine). Prints the best of several interleaved repeats per
shape and the ratios; a checksum per implementation guards against a fast wrong answer.

    python plugins/cpu/bench_kernels.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import vqnet_cpu  # first: torch then shares its OpenMP runtime (one libgomp.so.1 per process)

import vqnet_core as vq

try:
    import torch
except ImportError:
    torch = None

SHAPES = [  # (batch, cin, cout, hw), 3x3 kernels, stride 1, no padding: the W3 CNN's convs
    (16, 1, 32, 28), (16, 32, 32, 13), (64, 1, 32, 28), (64, 32, 32, 13)]


def _times(fns: list, repeat: int) -> list[float]:
    """Best-of-``repeat`` seconds of each function, interleaved so that the load of a shared
    machine hits every implementation alike (the minimum is the least disturbed run)."""
    for f in fns:
        f()  # warm up
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def _vqnet_step(B, x, w, b):
    fwd, bwd = B.kernel("conv2d"), B.kernel("conv2d_backward")

    def step():
        out, ctx = fwd(x, w, b, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
        gx, gw, gb = bwd(out, ctx, (True, True, True))  # upstream gradient = the output
        return float(out.sum() + gx.sum() + gw.sum() + gb.sum())
    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    vqnet_cpu.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    cpu, ref = vq.get_backend("cpu"), vq.get_backend("numpy")
    print(f"{'shape (N, Cin->Cout, HxW)':28s} {'cpu ms':>8s} {'numpy ms':>9s} {'torch ms':>9s}"
          f" {'cpu/numpy':>10s} {'cpu/torch':>10s}  checksums cpu / numpy / torch")
    for n, ci, co, hw in SHAPES:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, ci, hw, hw)).astype(np.float32)
        w = rng.standard_normal((co, ci, 3, 3)).astype(np.float32) * 0.1
        b = rng.standard_normal(co).astype(np.float32)
        f_cpu, f_np = _vqnet_step(cpu, x, w, b), _vqnet_step(ref, x, w, b)
        fns = [f_cpu, f_np]
        s_t = float("nan")
        if torch is not None:
            tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

            def f_t(tx=tx, tw=tw, tb=tb):
                tx.grad = tw.grad = tb.grad = None
                out = torch.nn.functional.conv2d(tx, tw, tb)
                out.backward(out.detach())
                return float(out.detach().sum() + tx.grad.sum() + tw.grad.sum() + tb.grad.sum())
            fns.append(f_t)
            s_t = f_t()
        t_cpu, t_np, *rest = _times(fns, args.repeat)
        t_t = rest[0] if rest else float("nan")
        print(f"{f'({n}, {ci}->{co}, {hw}x{hw})':28s} {t_cpu * 1e3:8.3f} {t_np * 1e3:9.3f} "
              f"{t_t * 1e3:9.3f} {t_cpu / t_np:10.2f} {t_cpu / t_t:10.2f}  "
              f"{f_cpu():.4g} / {f_np():.4g} / {s_t:.4g}")


if __name__ == "__main__":
    main()
