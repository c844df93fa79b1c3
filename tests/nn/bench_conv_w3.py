"""W3-shape conv2d (+ full W3 CNN step) forward+backward: VQNet NumPy backend vs PyTorch.

Not a test (no ``test_`` prefix). Run: ``python tests/nn/bench_conv_w3.py [--reps 30]``.
Both sides run interleaved in one process; PyTorch is pinned to 2 threads. Prints the best
time of each side and the ratio ours / torch.

On a shared, loaded machine wall times swing wildly; ``--cpu-time`` measures process CPU
time instead, and is meant to be run with one thread on both sides, which is far steadier:
``OPENBLAS_NUM_THREADS=1 python tests/nn/bench_conv_w3.py --cpu-time --threads 1``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import vqnet_core as vq
from vqnet_core import nn
from vqnet_core.nn import functional as F

CLOCK = time.perf_counter


def best(fns, reps):
    times = [[] for _ in fns]
    for f in fns:
        f()
    for _ in range(reps):
        for k, f in enumerate(fns):
            t = CLOCK()
            f()
            times[k].append(CLOCK() - t)
    return [min(t) for t in times]


def conv_case(n, c, o, hw, reps):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w = rng.standard_normal((o, c, 3, 3)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    vx, vw, vb = (vq.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

    def ours():
        y = F.conv2d(vx, vw, vb)
        y.backward(vq.ones(*y.shape))

    def theirs():
        y = torch.nn.functional.conv2d(tx, tw, tb)
        y.backward(torch.ones_like(y))
    return best([ours, theirs], reps)


def w3_case(n, reps):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, n)
    ours_net = nn.Sequential(nn.Conv2D(1, 32, (3, 3)), nn.ReLU(), nn.MaxPool2D([2, 2], [2, 2]),
                             nn.Conv2D(32, 32, (3, 3)), nn.ReLU(), nn.MaxPool2D([2, 2], [2, 2]),
                             nn.Flatten(), nn.Linear(800, 10))
    tn = torch.nn
    torch_net = tn.Sequential(tn.Conv2d(1, 32, 3), tn.ReLU(), tn.MaxPool2d(2), tn.Conv2d(32, 32, 3),
                              tn.ReLU(), tn.MaxPool2d(2), tn.Flatten(), tn.Linear(800, 10))
    vx, tx = vq.tensor(x), torch.tensor(x)
    onehot = np.eye(10, dtype=np.float32)[y]
    vy, ty = vq.tensor(onehot), torch.tensor(y)

    def ours():
        out = F.log_softmax(ours_net(vx), 1)
        loss = -(out * vy).sum() / n
        loss.backward()

    def theirs():
        loss = torch.nn.functional.cross_entropy(torch_net(tx), ty)
        loss.backward()
    return best([ours, theirs], reps)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2, help="PyTorch threads")
    ap.add_argument("--cpu-time", action="store_true", help="process CPU time, not wall")
    args = ap.parse_args()
    reps = args.reps
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    torch.set_num_threads(args.threads)
    for n in (16, 64):
        for c, hw in ((1, 28), (32, 13)):
            a, b = conv_case(n, c, 32, hw, reps)
            print(f"conv2d N={n:2d} {c:2d}->32 {hw}x{hw} k3  fwd+bwd: vqnet {a * 1e3:7.2f} ms  "
                  f"torch {b * 1e3:7.2f} ms  ratio {a / b:5.2f}")
        a, b = w3_case(n, reps)
        print(f"W3 CNN step N={n:2d} (fwd+bwd, no optimizer): vqnet {a * 1e3:7.2f} ms  "
              f"torch {b * 1e3:7.2f} ms  ratio {a / b:5.2f}")


if __name__ == "__main__":
    main()
