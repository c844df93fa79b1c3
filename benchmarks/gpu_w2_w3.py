"""W2 and W3 (WORKLOADS.md) on a GPU: VQNet's ``gpu`` backend beside plain PyTorch-CUDA code.

W2 -- the layered variational circuit (L = 4, complex128), one forward + adjoint backward, at
n = 16, 20, 24, 26 and B = 16 / 1 (a configuration whose estimated memory does not fit the
device is skipped, saying so). Rows:

* ``vqnet gpu``: the statevector machine on backend ``gpu`` (adjoint differentiation);
* ``torch-cuda plain``: the statevector code a PyTorch user would write -- a ``[B, 2, ..., 2]``
  complex tensor, one einsum per rotation, CNOT by slicing, backprop through autograd;
* ``lightning.gpu`` / cuStateVec: when PennyLane-Lightning-GPU is importable (else skipped);
* ``floor``: the bytes one forward + backward must stream (``w2_layered.floor_seconds``: the
  fused gate passes, forward once and the adjoint sweep twice) at the copy bandwidth measured
  on the device in the same run (a device-to-device copy, bytes read + written). The goal is
  ``vqnet gpu`` within 2x of it at n = 26.

W3 -- the paper's CNN (Conv 1->32 3x3, ReLU, MaxPool 2, Conv 32->32 3x3, ReLU, MaxPool 2,
Linear 800->10; cross-entropy, Adam lr 1e-3, float32) at batch 64 and 256: median seconds of
one training step on MNIST-shaped random data for VQNet on ``gpu`` and the same network in
PyTorch on the same GPU, and the epoch time that implies (60000 / batch steps). The goal is at
most 1.5x PyTorch. (Accuracy needs the dataset, which the device machine does not hold.)

Every row that cannot run prints why (no GPU, no torch with CUDA, too little memory)::

    python benchmarks/gpu_w2_w3.py                    # everything
    python benchmarks/gpu_w2_w3.py --quick            # n = 16, 20 and fewer repeats
    python benchmarks/gpu_w2_w3.py --only w3 --json results.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
L_LAYERS = 4
#: the VQNet backend and the torch device of the rows (``--backend gpu-emulated --torch-device
#: cpu`` runs the script's own code on a machine without a GPU, small n only: a check of the
#: script, not a measurement)
OPTS = {"backend": "gpu", "torch_device": "cuda"}


class Skip(Exception):
    """A row that cannot run here (the message says why)."""


# ------------------------------------------------------------------------------- devices
def _cupy():
    try:
        import vqnet_gpu
    except ImportError as e:
        raise Skip(f"vqnet-gpu is not installed ({e})") from None
    if not vqnet_gpu.is_available():
        raise Skip(vqnet_gpu.unavailable_reason())
    import cupy
    return cupy


def _torch_cuda():
    try:
        import torch
    except ImportError as e:
        raise Skip(f"torch is not installed ({e})") from None
    if OPTS["torch_device"] == "cpu":
        return torch
    if not torch.cuda.is_available():
        raise Skip(f"torch {torch.__version__} sees no CUDA device")
    return torch


def free_bytes() -> int:
    if OPTS["backend"] != "gpu":
        return 2**62
    cp = _cupy()
    free, _total = cp.cuda.runtime.memGetInfo()
    return int(free) + int(cp.get_default_memory_pool().free_bytes())


def copy_bandwidth_gbs(mib: int = 2048, repeats: int = 10) -> float:
    """Device memory bandwidth (GB/s, bytes read + written) of a device-to-device copy."""
    cp = _cupy()
    src = cp.ones(mib * 2**20 // 8)
    dst = cp.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        cp.cuda.Device().synchronize()
        t = time.perf_counter()
        cp.copyto(dst, src)
        cp.cuda.Device().synchronize()
        best = min(best, time.perf_counter() - t)
    del src, dst
    cp.get_default_memory_pool().free_all_blocks()
    return 2 * mib * 2**20 / best / 1e9


def time_step(step: Callable[[], tuple], repeats: int, budget: float) -> tuple[float, tuple]:
    """Median seconds of ``step`` after one warm-up call (which compiles the kernels)."""
    sums = step()
    t0 = time.perf_counter()
    sums = step()
    first = time.perf_counter() - t0
    reps = max(1, min(repeats, int(budget / max(first, 1e-9))))
    times = [first]
    for _ in range(reps - 1):
        t = time.perf_counter()
        sums = step()
        times.append(time.perf_counter() - t)
    return statistics.median(times), sums


# ------------------------------------------------------------------------------- W2 rows
def w2_data(n: int, bsz: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-np.pi, np.pi, (bsz, n)), rng.uniform(-np.pi, np.pi, (L_LAYERS, n, 3))


def _vqnet_backend() -> str:
    if OPTS["backend"] == "gpu":
        _cupy()
    return OPTS["backend"]


def _torch_free(torch) -> int:
    return torch.cuda.mem_get_info()[0] if OPTS["torch_device"] == "cuda" else 2**62


def _torch_sync(torch) -> None:
    if OPTS["torch_device"] == "cuda":
        torch.cuda.synchronize()


def vqnet_w2(n: int, X: np.ndarray, W: np.ndarray) -> Callable[[], tuple]:
    backend = _vqnet_backend()
    state = 16 * X.shape[0] * 2**n
    # the forward state, the adjoint's ket and bra, one gate output and the probabilities: ~5
    # states (an out-of-memory beyond this estimate is reported as FAILED, not fatal)
    if 5 * state > 0.9 * free_bytes():
        raise Skip(f"about {5 * state / 2**30:.0f} GiB needed (5 states), more than free")
    from w2_layered import make_vqnet

    import vqnet_core as vq

    vq.set_backend(backend)
    return make_vqnet(n, L_LAYERS, X, W)  # W2's own VQNet step, on this backend


def torch_w2(n: int, X: np.ndarray, W: np.ndarray) -> Callable[[], tuple]:
    torch = _torch_cuda()
    bsz = X.shape[0]
    state_b = 16 * bsz * 2**n
    gates = n * (1 + 4 * L_LAYERS)
    free = _torch_free(torch)
    if 2 * gates * state_b > 0.8 * free:
        raise Skip(f"backprop keeps ~{gates} states: about {2 * gates * state_b / 2**30:.0f} GiB"
                   f", more than the {free / 2**30:.0f} GiB free")
    dev = torch.device(OPTS["torch_device"])
    cd = torch.complex128

    def rot(kind, theta):  # theta [b] -> [b, 2, 2]
        c, s = torch.cos(theta / 2).to(cd), torch.sin(theta / 2).to(cd)
        if kind == "x":
            rows = [torch.stack([c, -1j * s], -1), torch.stack([-1j * s, c], -1)]
        elif kind == "y":
            rows = [torch.stack([c, -s], -1), torch.stack([s, c], -1)]
        else:
            e = torch.exp(-0.5j * theta.to(cd))
            z = torch.zeros_like(e)
            rows = [torch.stack([e, z], -1), torch.stack([z, e.conj()], -1)]
        return torch.stack(rows, -2)

    def apply1(psi, u, wire):  # psi [B, 2, ..., 2], u [b, 2, 2]
        s = psi.movedim(wire + 1, -1)
        shp = s.shape
        s = torch.einsum("bxi,bji->bxj", s.reshape(bsz, -1, 2), u.expand(bsz, 2, 2))
        return s.reshape(shp).movedim(-1, wire + 1)

    def cnot(psi, c, t):
        s = psi.movedim((c + 1, t + 1), (1, 2))
        s = torch.cat([s[:, :1], s[:, 1:].flip(2)], 1)
        return s.movedim((1, 2), (c + 1, t + 1))

    xs = torch.tensor(X, device=dev)
    ws0 = torch.tensor(W, device=dev)

    def step():
        x = xs.clone().requires_grad_(True)
        w = ws0.clone().requires_grad_(True)
        psi = torch.zeros((bsz, 2**n), dtype=cd, device=dev)
        psi[:, 0] = 1
        psi = psi.reshape((bsz,) + (2,) * n)
        for i in range(n):
            psi = apply1(psi, rot("y", x[:, i]), i)
        for layer in range(L_LAYERS):
            for i in range(n):
                for k, kind in enumerate("xyz"):
                    psi = apply1(psi, rot(kind, w[layer, i, k].reshape(1)), i)
            for i in range(n):
                psi = cnot(psi, i, (i + 1) % n)
        p = (psi.abs() ** 2).reshape(bsz, 2**n)
        idx = torch.arange(2**n, device=dev)
        outs = torch.stack([(p * (1 - 2 * ((idx >> (n - 1 - i)) & 1))).sum(1)
                            for i in range(n)], 1)
        outs.sum().backward()
        _torch_sync(torch)
        return (float(outs.detach().sum()), float(x.grad.sum()), float(w.grad.sum()))
    return step


def lightning_gpu_w2(n: int, X: np.ndarray, W: np.ndarray) -> Callable[[], tuple]:
    try:
        import pennylane as qml
    except ImportError as e:
        raise Skip(f"pennylane is not installed ({e})") from None
    try:
        dev = qml.device("lightning.gpu", wires=n)
    except Exception as e:  # noqa: BLE001  the plugin or cuStateVec is missing
        raise Skip(f"lightning.gpu is not available ({type(e).__name__}: {e})") from None
    from pennylane import numpy as pnp
    from w2_layered import w2_pennylane

    circuit = qml.qnode(dev, diff_method="adjoint")(w2_pennylane(qml, n, L_LAYERS))

    def step():
        tot = gx = gw = 0.0
        for row in X:
            x, w = pnp.array(row, requires_grad=True), pnp.array(W, requires_grad=True)
            tot += float(np.sum(circuit(x, w)))
            dx, dw = qml.grad(lambda a, b: pnp.sum(pnp.stack(circuit(a, b))))(x, w)
            gx, gw = gx + float(np.sum(dx)), gw + float(np.sum(dw))
        return tot, gx, gw
    return step


def run_w2(ns: list[int], batches: list[int], repeats: int, budget: float) -> list[dict]:
    from w2_layered import floor_seconds

    rows = []
    try:
        if OPTS["backend"] != "gpu":
            raise Skip(f"backend {OPTS['backend']!r} is not the GPU")
        gbs = copy_bandwidth_gbs()
        print(f"device copy bandwidth: {gbs:.0f} GB/s (read + write)", flush=True)
    except Skip as e:
        gbs = None
        print(f"floor: skipped ({e})", flush=True)
    for n in ns:
        for bsz in batches:
            X, W = w2_data(n, bsz)
            print(f"\nW2 n={n} B={bsz} L={L_LAYERS} complex128", flush=True)
            ref = None
            vq_t = None
            for name, make in (("vqnet gpu", vqnet_w2), ("torch-cuda plain", torch_w2),
                               ("lightning.gpu", lightning_gpu_w2)):
                row = {"workload": "W2", "n": n, "B": bsz, "impl": name}
                try:
                    if name == "lightning.gpu" and n > 24:
                        raise Skip("skipped above n = 24 (one QNode call per batch row)")
                    sec, sums = time_step(make(n, X, W), repeats, budget)
                except Skip as e:
                    print(f"  {name:20s} skipped: {e}", flush=True)
                    row["skipped"] = str(e)
                    rows.append(row)
                    continue
                except Exception as e:  # noqa: BLE001  an out-of-memory is reported, not fatal
                    print(f"  {name:20s} FAILED: {type(e).__name__}: {e}", flush=True)
                    row["failed"] = f"{type(e).__name__}: {e}"
                    rows.append(row)
                    _free_all()
                    continue
                if name == "vqnet gpu":
                    vq_t = sec
                    ref = sums
                agree = "" if ref is None or np.allclose(sums, ref, rtol=1e-6, atol=1e-8) \
                    else "  MISMATCH vs vqnet gpu"
                ratio = f"  ({sec / vq_t:.2f}x vqnet)" if vq_t and name != "vqnet gpu" else ""
                print(f"  {name:20s} {sec:10.4f} s  sums {sums[0]:.6g} {sums[1]:.6g} "
                      f"{sums[2]:.6g}{ratio}{agree}", flush=True)
                rows.append({**row, "seconds": sec, "sums": list(sums)})
                _free_all()
            if gbs:
                fl = floor_seconds(n, bsz, L_LAYERS, gbs)
                extra = f"  vqnet gpu / floor = {vq_t / fl:.2f}" if vq_t else ""
                print(f"  {'floor':20s} {fl:10.4f} s{extra}", flush=True)
                rows.append({"workload": "W2", "n": n, "B": bsz, "impl": "floor",
                             "seconds": fl, "bandwidth_gbs": gbs})
    return rows


def _free_all() -> None:
    try:
        import cupy
        cupy.get_default_memory_pool().free_all_blocks()
    except Exception:  # noqa: BLE001
        pass
    try:
        import torch
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001
        pass


# ------------------------------------------------------------------------------- W3 rows
def w3_batch(bsz: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((bsz, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, bsz)


def vqnet_w3(bsz: int) -> Callable[[], tuple]:
    backend = _vqnet_backend()
    import vqnet_core as vq
    from vqnet_core import nn

    vq.set_backend(backend)
    vq.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 32, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 10))
    opt = vq.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    X, Y = w3_batch(bsz)
    x, y = vq.tensor(X).to(backend), vq.tensor(Y).to(backend)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return (loss.item(),)
    return step


def torch_w3(bsz: int) -> Callable[[], tuple]:
    torch = _torch_cuda()
    nn = torch.nn
    torch.manual_seed(0)
    dev = torch.device(OPTS["torch_device"])
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 32, 3),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 10)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    X, Y = w3_batch(bsz)
    x, y = torch.tensor(X, device=dev), torch.tensor(Y, device=dev)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return (loss.item(),)  # .item() synchronises
    return step


def run_w3(batches: list[int], repeats: int, budget: float) -> list[dict]:
    rows = []
    for bsz in batches:
        print(f"\nW3 batch={bsz} float32 (one training step; epoch = {60000 // bsz} steps)",
              flush=True)
        base = None
        for name, make in (("vqnet gpu", vqnet_w3), ("torch-cuda", torch_w3)):
            row = {"workload": "W3", "B": bsz, "impl": name}
            try:
                sec, _ = time_step(make(bsz), repeats, budget)
            except Skip as e:
                print(f"  {name:12s} skipped: {e}", flush=True)
                rows.append({**row, "skipped": str(e)})
                continue
            except Exception as e:  # noqa: BLE001
                print(f"  {name:12s} FAILED: {type(e).__name__}: {e}", flush=True)
                rows.append({**row, "failed": f"{type(e).__name__}: {e}"})
                continue
            epoch = sec * (60000 // bsz)
            rows.append({**row, "seconds_per_step": sec, "seconds_per_epoch": epoch})
            if name == "vqnet gpu":
                base = sec
            ratio = f"  (vqnet / torch = {base / sec:.2f})" if base and name != "vqnet gpu" \
                else ""
            print(f"  {name:12s} {sec * 1e3:9.2f} ms/step  {epoch:7.2f} s/epoch{ratio}",
                  flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["w2", "w3"], default=None)
    ap.add_argument("--n", type=int, nargs="+", default=[16, 20, 24, 26])
    ap.add_argument("--batch", type=int, nargs="+", default=[16, 1], help="W2 batch sizes")
    ap.add_argument("--w3-batch", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per row at most")
    ap.add_argument("--quick", action="store_true", help="n = 16, 20; 3 repeats")
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    ap.add_argument("--backend", default="gpu", help="VQNet backend of the vqnet rows "
                    "(gpu-emulated: check the script without a GPU)")
    ap.add_argument("--torch-device", default="cuda", choices=["cuda", "cpu"])
    args = ap.parse_args(argv)
    OPTS.update(backend=args.backend, torch_device=args.torch_device)
    if args.backend != "gpu" or args.torch_device != "cuda":
        print(f"CHECK MODE (vqnet rows on {args.backend!r}, torch rows on "
              f"{args.torch_device!r}): a check of this script, not a GPU measurement")
    if args.quick:
        args.n, args.repeats, args.budget = [16, 20], 3, 5.0
    try:
        import vqnet_gpu
        st = vqnet_gpu.device_status()
        print(f"vqnet-gpu: {'available on ' + st.device_name if st.available else st.reason}")
    except ImportError:
        print("vqnet-gpu is not installed: every vqnet row is skipped")
    rows: list[dict] = []
    if args.only in (None, "w2"):
        rows += run_w2(args.n, args.batch, args.repeats, args.budget)
    if args.only in (None, "w3"):
        rows += run_w3(args.w3_batch, args.repeats * 4, args.budget)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
