"""Pieces shared by the examples (not an example itself): the common flags, one training
epoch with a progress bar, the saved plot, and the MNIST data/training loop of the CNN examples
(data-parallel over MPI ranks with ``--distributed`` or under ``mpiexec``).

The examples import it as ``from _common import ...``: a script's own folder is on ``sys.path``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import vqnet_core as vq
from vqnet_core import distributed as dist
from vqnet_core import nn
from vqnet_core.data import MNIST, DataLoader, Subset
from vqnet_core.nn.loss import CrossEntropyLoss
from vqnet_core.optim import Adam
from vqnet_core.utils import plot_history


def example_parser(doc: str, *, epochs: int, lr: float, limit_help: str,
                   batch_size: int | None = None, batch_help: str | None = None,
                   epochs_help: str | None = None) -> argparse.ArgumentParser:
    """The flags every example takes: ``--epochs --lr --limit --seed --out --no-progress``,
    and ``--batch-size`` when ``batch_size`` is given. Add the example's own before parsing."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=epochs, help=epochs_help)
    if batch_size is not None:
        ap.add_argument("--batch-size", type=int, default=batch_size, help=batch_help)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--limit", type=int, default=None, help=limit_help)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs", help="folder for the training-curve plot")
    ap.add_argument("--no-progress", action="store_true", help="no progress bars")
    return ap


def progress_bar(iterable: Iterable, args: argparse.Namespace, desc: str,
                 leave: bool = True) -> Any:
    """A progress bar over ``iterable``, off with ``--no-progress`` (on rank 0 only when
    several MPI processes train together)."""
    return dist.progress(iterable, force=False if args.no_progress else None, desc=desc,
                         leave=leave)


def train_epoch(loader: Iterable, opt: Any, batch_loss: Callable[..., tuple[Any, int | None]],
                args: argparse.Namespace, epoch: int) -> tuple[float, float | None]:
    """One pass over ``loader``: ``batch_loss(*batch)`` gives the mean loss of a batch and its
    number of right predictions (None where there is no accuracy). Returns the mean loss and
    accuracy (None likewise) over the epoch, over every rank's batches when several MPI
    processes train together."""
    seen, correct, loss_sum = 0, 0, 0.0
    right: int | None = None
    it = progress_bar(loader, args, f"epoch {epoch}/{args.epochs}", leave=False)
    for batch in it:
        opt.zero_grad()
        loss, right = batch_loss(*batch)
        loss.backward()
        opt.step()
        n = batch[0].shape[0]
        seen += n
        loss_sum += float(loss) * n
        if right is not None:
            correct += right
        if hasattr(it, "set_postfix"):
            post = {"loss": f"{loss_sum / seen:.4f}"}
            if right is not None:
                post["acc"] = f"{correct / seen:.3f}"
            it.set_postfix(**post)
    if dist.world_size() > 1:  # one all-reduce per epoch: the metrics of every rank's share
        m = dist.reduce_metrics({"loss_sum": loss_sum, "correct": correct, "seen": seen})
        loss_sum, correct, seen = m["loss_sum"], int(m["correct"]), int(m["seen"])
    return loss_sum / seen, (None if right is None else correct / seen)


def save_curves(history: dict[str, list[float]], args: argparse.Namespace, name: str,
                title: str, what: str = "training curves") -> str | None:
    """Plot ``history`` to ``<--out>/<name>.png`` and say where (on rank 0 only)."""
    if not dist.is_main_process():
        return None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png = plot_history(history, out / f"{name}.png", title=title)
    print(f"{what} saved to {png}")
    return png


# ----------------------------------------------------------------- the MNIST CNN examples
def parse_args(doc: str, argv: list[str] | None = None, **defaults: Any) -> argparse.Namespace:
    """The MNIST examples' flags; ``defaults`` may set ``epochs``, ``batch_size``,
    ``batch_help``, ``lr`` and ``extra`` ({flag: add_argument keywords})."""
    ap = example_parser(doc, epochs=defaults.get("epochs", 3),
                        batch_size=defaults.get("batch_size", 16),
                        batch_help=defaults.get("batch_help"), lr=defaults.get("lr", 1e-3),
                        limit_help="use only the first N training (and N//4 test) images: "
                                   "smoke runs")
    ap.add_argument("--root", default=None,
                    help="folder of the standard MNIST files (default: the shipped 5k sample)")
    ap.add_argument("--distributed", action="store_true",
                    help="data-parallel training over MPI ranks (on by itself under mpiexec): "
                         "mpiexec -n 2 python examples/... ; --batch-size stays the global "
                         "batch, split evenly over the ranks")
    for flag, kw in defaults.get("extra", {}).items():
        ap.add_argument(flag, **kw)
    return ap.parse_args(argv)


def load_mnist(args: argparse.Namespace, digits: list[int] | None = None) -> tuple[Any, Any]:
    """MNIST (train, test), only ``digits`` when given, cut to ``--limit`` when given."""
    train = MNIST(args.root, train=True, digits=digits)
    test = MNIST(args.root, train=False, digits=digits)
    if args.limit is not None:
        if args.limit < 1:
            raise SystemExit("--limit must be a positive number of images")
        train = Subset(train, range(min(args.limit, len(train))))
        test = Subset(test, range(min(max(args.limit // 4, 1), len(test))))
    return train, test


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: Any) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ``loader`` (with several MPI processes, each
    evaluates its own part of the data and the sums are reduced over the ranks)."""
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    with vq.no_grad():
        for x, y in loader:
            out = model(x)
            loss_sum += float(loss_fn(out, y)) * y.shape[0]
            correct += int((out.argmax(1) == y).sum())
            total += y.shape[0]
    if dist.world_size() > 1:
        m = dist.reduce_metrics({"loss_sum": loss_sum, "correct": correct, "total": total})
        loss_sum, correct, total = m["loss_sum"], m["correct"], m["total"]
    return loss_sum / total, correct / total


def distributed_setup(args: argparse.Namespace, model: nn.Module, train: Any,
                      test: Any) -> tuple[nn.Module, DataLoader, DataLoader, Any]:
    """The model wrapped in DistributedDataParallel, this rank's train loader (a
    DistributedSampler share, batch ``--batch-size / ranks``) and its part of the test set;
    plus the sampler (``set_epoch`` every epoch)."""
    dist.init()
    n = dist.world_size()
    if args.batch_size % n:
        raise SystemExit(f"--batch-size {args.batch_size} does not split evenly over {n} ranks")
    sampler = dist.DistributedSampler(train, seed=args.seed)
    train_loader = DataLoader(train, batch_size=args.batch_size // n, sampler=sampler)
    test_part = Subset(test, range(dist.rank(), len(test), n))
    return (dist.DistributedDataParallel(model), train_loader,
            DataLoader(test_part, batch_size=256), sampler)


def fit(model: nn.Module, args: argparse.Namespace, name: str,
        digits: list[int] | None = None) -> dict[str, list[float]]:
    """Train ``model`` on MNIST (only ``digits`` when given) with cross-entropy and Adam as the
    arguments say; prints the metrics of every epoch, saves the plot, returns the history.
    With ``--distributed`` or under an MPI launcher, data-parallel over the ranks (rank 0
    prints and saves)."""
    train, test = load_mnist(args, digits)
    sampler = None
    if getattr(args, "distributed", False) or dist.launched():
        model, train_loader, test_loader, sampler = distributed_setup(args, model, train, test)
    else:
        train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True,
                                  seed=args.seed)
        test_loader = DataLoader(test, batch_size=256)
    loss_fn = CrossEntropyLoss()
    opt = Adam(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())
    subset = "" if digits is None else f" (digits {'/'.join(map(str, digits))})"
    ranks = "" if sampler is None else \
        f", {dist.world_size()} processes of batch {args.batch_size // dist.world_size()}"
    dist.print0(f"{name}: {n_params} parameters; {len(train)} train / {len(test)} test images"
                f"{subset}, batch {args.batch_size}{ranks}, {args.epochs} epochs, Adam lr "
                f"{args.lr}")

    def batch_loss(x: vq.QTensor, y: vq.QTensor) -> tuple[vq.QTensor, int]:
        out = model(x)
        return loss_fn(out, y), int((out.argmax(1) == y).sum())

    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "test_loss": [],
                                       "test_accuracy": []}
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        if sampler is not None:
            sampler.set_epoch(epoch)
        t0 = time.perf_counter()
        loss, acc = train_epoch(train_loader, opt, batch_loss, args, epoch)
        t1 = time.perf_counter()
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        test_secs = time.perf_counter() - t1
        for k, v in zip(history, (loss, acc, test_loss, test_acc)):
            history[k].append(v)
        dist.print0(f"epoch {epoch}: loss {loss:.4f}  accuracy {acc:.4f}  "
              f"test loss {test_loss:.4f}  test accuracy {test_acc:.4f}  "
              f"({t1 - t0:.1f} s train, {test_secs:.1f} s test)")
    dist.print0(f"test accuracy after {args.epochs} epochs: {history['test_accuracy'][-1]:.4f} "
          f"({time.perf_counter() - t_start:.1f} s in all)")
    data = "MNIST 5k" if digits is None else f"MNIST {'/'.join(map(str, digits))}"
    save_curves(history, args, name, f"{name}: {data}, batch {args.batch_size}")
    return history
