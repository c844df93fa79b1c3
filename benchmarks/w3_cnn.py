"""Workload W3 (WORKLOADS.md): the paper's classical CNN on the 5k MNIST sample, side by side.

VQNet (the active array backend, NumPy by default) against PyTorch (CPU, 2 threads) and, when
it can be imported, pyvqnet. Every implementation starts from the same initial weights (VQNet's,
copied), sees the same batches in the same order, trains in float32 with cross-entropy and Adam
(lr 1e-3), and reports seconds per training epoch, seconds for the test pass and the test
accuracy, at batch 16 and 64.

    python benchmarks/w3_cnn.py                       # 3 epochs, batch 16 and 64
    python benchmarks/w3_cnn.py --quick               # 1 epoch on 1,000 images
    python benchmarks/w3_cnn.py --epochs 1 --limit 2000 --batch-sizes 16
    python benchmarks/w3_cnn.py --pyvqnet-python /tmp/bench/bin/python  # pyvqnet in a venv

pyvqnet runs in this interpreter when importable, else in the interpreter given by
``--pyvqnet-python`` (or $VQNET_BENCH_PYVQNET_PYTHON) as a subprocess fed the same data; else
it is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 25  # batches per turn when the implementations take turns
TORCH_SHAPES = [(32, 1, 3, 3), (32,), (32, 32, 3, 3), (32,), (10, 800), (10,)]


# ------------------------------------------------------------------------ data and weights
def load_data(limit: int | None):
    sys.path.insert(0, str(ROOT))
    from vqnet_core.data import MNIST

    xtr, ytr = MNIST(train=True).arrays()
    xte, yte = MNIST(train=False).arrays()
    if limit:
        xtr, ytr = xtr[:limit], ytr[:limit]
        xte, yte = xte[:max(limit // 4, 1)], yte[:max(limit // 4, 1)]
    return xtr, ytr, xte, yte


def vqnet_model(seed: int):
    sys.path.insert(0, str(ROOT / "examples"))
    from cnn_mnist import CNN

    import vqnet_core as vq

    vq.manual_seed(seed)
    return CNN()


def initial_weights(seed: int) -> list[np.ndarray]:
    """VQNet's initial weights, in PyTorch's layout (Linear weight [out, in])."""
    params = [p.numpy() for p in vqnet_model(seed).parameters()]
    if len(params) != len(TORCH_SHAPES):
        raise RuntimeError(f"expected 6 parameters in the CNN, got {len(params)}")
    out = []
    for p, shape in zip(params, TORCH_SHAPES):
        if p.shape != shape and p.T.shape == shape:  # a Linear stored [in, out]
            p = p.T
        if p.shape != shape:
            raise RuntimeError(f"unexpected parameter shape {p.shape}, wanted {shape}")
        out.append(np.ascontiguousarray(p, dtype=np.float32))
    return out


def batch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    # the order DataLoader(shuffle=True, seed=seed) draws, epoch after epoch
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


# ------------------------------------------------------------------------ the implementations
# Each one is set up once, then trains one epoch per call to ``epoch(order)`` (returning the
# seconds it took and the last batch's loss) and runs the test pass in ``test()`` (returning the
# seconds and the accuracy). The driver interleaves the implementations epoch by epoch, so that
# a change in the machine's load hits all of them alike.
class VQNetRun:
    def __init__(self, data, weights, bs: int) -> None:
        import vqnet_core as vq
        from vqnet_core.nn.loss import CrossEntropyLoss
        from vqnet_core.optim import Adam

        self.vq, self.data, self.bs = vq, data, bs
        self.model = vqnet_model(0)
        for p, w in zip(self.model.parameters(), weights):
            p._data = vq.tensor(w.T if p.shape != w.shape else w)._data
        self.loss_fn, self.opt = CrossEntropyLoss(), Adam(self.model.parameters(), lr=1e-3)

    def epoch(self, order: np.ndarray) -> tuple[float, float]:
        vq, (xtr, ytr, _, _) = self.vq, self.data
        self.model.train()
        t0 = time.perf_counter()
        for i in range(0, len(order), self.bs):
            idx = order[i:i + self.bs]
            x, y = vq.tensor(xtr[idx]), vq.tensor(ytr[idx])
            self.opt.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.opt.step()
        return time.perf_counter() - t0, float(loss)

    def test(self) -> tuple[float, float]:
        vq, (_, _, xte, yte) = self.vq, self.data
        self.model.eval()
        t0 = time.perf_counter()
        correct = 0
        with vq.no_grad():
            for i in range(0, len(xte), 256):
                out = self.model(vq.tensor(xte[i:i + 256]))
                correct += int((out.argmax(1).numpy() == yte[i:i + 256]).sum())
        return time.perf_counter() - t0, correct / len(xte)


class TorchRun:
    def __init__(self, data, weights, bs: int, threads: int) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(threads)
        self.torch, self.bs = torch, bs
        self.data = [torch.from_numpy(a) for a in data]
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(800, 10))
        with torch.no_grad():
            for p, w in zip(self.model.parameters(), weights):
                p.copy_(torch.from_numpy(w))
        self.loss_fn = nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def epoch(self, order: np.ndarray) -> tuple[float, float]:
        xtr, ytr, _, _ = self.data
        order = self.torch.from_numpy(order)
        self.model.train()
        t0 = time.perf_counter()
        for i in range(0, len(order), self.bs):
            idx = order[i:i + self.bs]
            self.opt.zero_grad()
            loss = self.loss_fn(self.model(xtr[idx]), ytr[idx])
            loss.backward()
            self.opt.step()
        return time.perf_counter() - t0, loss.item()

    def test(self) -> tuple[float, float]:
        _, _, xte, yte = self.data
        self.model.eval()
        t0 = time.perf_counter()
        correct = 0
        with self.torch.no_grad():
            for i in range(0, len(xte), 256):
                correct += int((self.model(xte[i:i + 256]).argmax(1) == yte[i:i + 256]).sum())
        return time.perf_counter() - t0, correct / len(xte)


class PyVQNetRun:
    """pyvqnet's own layers, loss and optimizer (imports only numpy and pyvqnet)."""

    def __init__(self, data, weights, bs: int) -> None:
        from collections import OrderedDict

        import pyvqnet.tensor as T
        from pyvqnet import kint64
        from pyvqnet.nn import Conv2D, Linear, MaxPool2D, Module, ReLu
        from pyvqnet.nn.loss import CrossEntropyLoss
        from pyvqnet.optim import Adam
        from pyvqnet.tensor import QTensor

        class Net(Module):
            def __init__(self):
                super().__init__()
                self.conv1 = Conv2D(1, 32, (3, 3), (1, 1), "valid")
                self.relu1, self.pool1 = ReLu(), MaxPool2D([2, 2], [2, 2])
                self.conv2 = Conv2D(32, 32, (3, 3), (1, 1), "valid")
                self.relu2, self.pool2 = ReLu(), MaxPool2D([2, 2], [2, 2])
                self.fc = Linear(800, 10)

            def forward(self, x):
                x = self.pool1(self.relu1(self.conv1(x)))
                x = self.pool2(self.relu2(self.conv2(x)))
                return self.fc(T.flatten(x, 1))

        self.QTensor, self.kint64, self.data, self.bs = QTensor, kint64, data, bs
        self.model = Net()
        names = list(self.model.state_dict())
        self.model.load_state_dict(OrderedDict((k, QTensor(w)) for k, w in zip(names, weights)))
        self.loss_fn = CrossEntropyLoss()
        self.opt = Adam(self.model.parameters(), lr=1e-3)

    def epoch(self, order: np.ndarray) -> tuple[float, float]:
        xtr, ytr, _, _ = self.data
        self.model.train()
        t0 = time.perf_counter()
        for i in range(0, len(order), self.bs):
            idx = order[i:i + self.bs]
            x, y = self.QTensor(xtr[idx]), self.QTensor(ytr[idx], dtype=self.kint64)
            self.opt.zero_grad()
            loss = self.loss_fn(y, self.model(x))  # pyvqnet's losses take (target, output)
            loss.backward()
            self.opt._step()
        return time.perf_counter() - t0, float(loss.to_numpy().reshape(-1)[0])

    def test(self) -> tuple[float, float]:
        _, _, xte, yte = self.data
        self.model.eval()
        t0 = time.perf_counter()
        correct = 0
        for i in range(0, len(xte), 256):
            out = self.model(self.QTensor(xte[i:i + 256])).to_numpy()
            correct += int((out.argmax(1) == yte[i:i + 256]).sum())
        return time.perf_counter() - t0, correct / len(xte)


class SubprocessRun:
    """An implementation living in another interpreter (pyvqnet in its own venv), driven over
    a pipe: the same data and weights go over in an .npz file, then one command per step."""

    def __init__(self, python: str, data, weights, bs: int, threads: int) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        npz = Path(self.tmp.name) / "w3.npz"
        np.savez(npz, *data, *weights, n_w=len(weights), bs=bs)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                   OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        self.proc = subprocess.Popen([python, __file__, "--pyvqnet-worker", str(npz)], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._ask("ready")

    def _ask(self, cmd: str, arg: np.ndarray | None = None):
        line = cmd if arg is None else cmd + " " + ",".join(map(str, arg.tolist()))
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError(f"the pyvqnet worker died (exit {self.proc.wait()})")
        return json.loads(reply)

    def epoch(self, order: np.ndarray) -> tuple[float, float]:
        return tuple(self._ask("epoch", order))

    def test(self) -> tuple[float, float]:
        out = tuple(self._ask("test"))
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.tmp.cleanup()
        return out


def _pyvqnet_worker(npz_path: str) -> None:
    z = np.load(npz_path)
    nw = int(z["n_w"])
    arrs = [z[f"arr_{i}"] for i in range(4 + nw)]
    run = PyVQNetRun(arrs[:4], arrs[4:], int(z["bs"]))
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "ready":
            out = True
        elif cmd == "epoch":
            out = run.epoch(np.array([int(v) for v in arg.split(",")], dtype=np.int64))
        elif cmd == "test":
            out = run.test()
        else:
            raise SystemExit(f"unknown command {cmd!r}")
        print(json.dumps(out), flush=True)


# ------------------------------------------------------------------------ driver
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="1 epoch on 1,000 images")
    ap.add_argument("--pyvqnet-python", default=os.environ.get("VQNET_BENCH_PYVQNET_PYTHON"))
    ap.add_argument("--no-pyvqnet", action="store_true")
    ap.add_argument("--pyvqnet-worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.pyvqnet_worker:
        _pyvqnet_worker(args.pyvqnet_worker)
        return 0
    if args.quick:
        args.epochs, args.limit = 1, args.limit or 1000

    import vqnet_core as vq

    data = load_data(args.limit)
    weights = initial_weights(args.seed)
    orders = batch_orders(len(data[0]), args.epochs, args.seed)
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.2f}")
    print(f"W3 CNN: {len(data[0])} train / {len(data[2])} test images, {args.epochs} epochs, "
          f"Adam lr 1e-3, float32, {args.threads} threads; VQNet backend "
          f"{vq.get_backend().name!r}")

    makers: list[tuple[str, object]] = [("vqnet", VQNetRun)]
    notes = []
    try:
        import torch
        makers.append((f"torch {torch.__version__.split('+')[0]}",
                       lambda *a: TorchRun(*a, threads=args.threads)))
    except ImportError:
        notes.append("torch: not installed, skipped")
    if not args.no_pyvqnet:
        try:
            import pyvqnet  # noqa: F401
            makers.append(("pyvqnet", PyVQNetRun))
        except ImportError:
            if args.pyvqnet_python:
                makers.append(("pyvqnet", lambda *a: SubprocessRun(
                    args.pyvqnet_python, *a, threads=args.threads)))
            else:
                notes.append("pyvqnet: not importable here and no --pyvqnet-python; skipped "
                             "(python -m venv /tmp/bench && /tmp/bench/bin/pip install pyvqnet)")

    rows = []
    for bs in args.batch_sizes:
        runs, res = {}, {}
        for name, make in makers:
            try:
                runs[name] = make(data, weights, bs)
                res[name] = {"epochs": [], "loss": float("nan")}
            except Exception as e:  # an anchor failing must not hide the others
                notes.append(f"{name} at batch {bs} failed to start: {type(e).__name__}: {e}")
        for e, order in enumerate(orders, 1):
            # Slices of CHUNK batches, every implementation taking its turn on each slice: a
            # burst of load from elsewhere hits them alike. Training is unchanged (each keeps
            # its own model and optimizer and sees the batches in the same order).
            secs = dict.fromkeys(runs, 0.0)
            step = CHUNK * bs
            for c in range(0, len(order), step):
                chunk, times = order[c:c + step], {}
                for name in list(runs):
                    try:
                        t, loss = runs[name].epoch(chunk)
                    except Exception as err:
                        notes.append(f"{name} at batch {bs} failed: {type(err).__name__}: "
                                     f"{err}")
                        del runs[name], res[name], secs[name]
                        continue
                    secs[name] += t
                    times[name] = t
                    res[name]["loss"] = loss
                if "vqnet" in times:
                    for name, t in times.items():
                        res[name].setdefault("pairs", []).append(times["vqnet"] / t)
            for name in runs:
                res[name]["epochs"].append(secs[name])
                print(f"  batch {bs:3d} epoch {e} {name:12s} {secs[name]:7.2f} s  last loss "
                      f"{res[name]['loss']:.4f}", flush=True)
        for name in list(runs):
            res[name]["test_s"], res[name]["acc"] = runs[name].test()
            res[name]["epoch_s"] = float(np.mean(res[name]["epochs"]))
        base = res.get("vqnet")
        for name in res:
            rows.append((bs, name, res[name], base))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    print(f"\n| batch | implementation | s/epoch | vqnet / it | vqnet / it, median of "
          f"slices | test pass s | test acc ({args.epochs} ep) | last loss |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for bs, name, r, base in rows:
        ratio = f"{base['epoch_s'] / r['epoch_s']:.2f}" if base else "-"
        med = f"{np.median(r['pairs']):.2f}" if r.get("pairs") else "-"
        print(f"| {bs} | {name} | {r['epoch_s']:.2f} | {ratio} | {med} | {r['test_s']:.3f} | "
              f"{r['acc']:.4f} | {r['loss']:.4f} |")
    for n in notes:
        print("note:", n)
    print(f"load average (1 min) at the end: {load:.2f} on {os.cpu_count()} cpus")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
