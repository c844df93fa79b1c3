"""A small record of per-epoch metrics, and a PNG plot of it (matplotlib, optional)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["History", "plot_history"]


class History:
    """Metrics by name, one value per :meth:`log` call (usually per epoch).

    >>> from vqnet_core.utils import History
    >>> h = History()
    >>> h.log(loss=0.9, accuracy=0.5); h.log(loss=0.4, accuracy=0.8)
    >>> h["loss"], h.last("accuracy"), len(h)
    ([0.9, 0.4], 0.8, 2)
    """

    def __init__(self, metrics: Mapping[str, Sequence[float]] | None = None) -> None:
        self.metrics: dict[str, list[float]] = {k: [float(v) for v in vs]
                                                for k, vs in (metrics or {}).items()}

    def log(self, **values: Any) -> None:
        """Append one value per metric (numbers or one-element tensors)."""
        for k, v in values.items():
            self.metrics.setdefault(k, []).append(float(v))

    append = log

    def last(self, name: str) -> float:
        return self.metrics[name][-1]

    def __getitem__(self, name: str) -> list[float]:
        return self.metrics[name]

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def __iter__(self) -> Iterator[str]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return max((len(v) for v in self.metrics.values()), default=0)

    def state_dict(self) -> dict[str, list[float]]:
        """The metrics as plain lists (storable with :func:`vqnet_core.utils.save`)."""
        return {k: list(v) for k, v in self.metrics.items()}

    def load_state_dict(self, state: Mapping[str, Sequence[float]]) -> None:
        self.metrics = {k: [float(v) for v in vs] for k, vs in state.items()}

    def __repr__(self) -> str:
        return f"History({', '.join(f'{k}: {len(v)}' for k, v in self.metrics.items())})"


def _panel(name: str) -> str:
    low = name.lower()
    if "loss" in low:
        return "loss"
    if "acc" in low:
        return "accuracy"
    return "other"


def plot_history(history: History | Mapping[str, Sequence[float]], path: str | os.PathLike,
                 title: str | None = None, dpi: int = 100) -> str:
    """Save a PNG of the metrics: losses in one panel, accuracies in another (others in a
    third). Uses matplotlib's Agg canvas directly (no pyplot, no global state). Returns the
    path written.

    Needs matplotlib: ``pip install "vqnet[plot]"``.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError('plot_history needs matplotlib; install it with: '
                          'pip install "vqnet[plot]"') from exc
    metrics = history.metrics if isinstance(history, History) else {
        k: [float(v) for v in vs] for k, vs in history.items()}
    metrics = {k: v for k, v in metrics.items() if len(v)}
    if not metrics:
        raise ValueError("plot_history: the history has no values to plot")
    panels: dict[str, list[str]] = {}
    for k in metrics:
        panels.setdefault(_panel(k), []).append(k)
    order = [p for p in ("loss", "accuracy", "other") if p in panels]
    fig = Figure(figsize=(5 * len(order), 3.8))
    FigureCanvasAgg(fig)
    for i, name in enumerate(order):
        ax = fig.add_subplot(1, len(order), i + 1)
        for k in panels[name]:
            ys = metrics[k]
            ax.plot(range(1, len(ys) + 1), ys, marker="o" if len(ys) <= 30 else None, label=k)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
        if name == "accuracy" and all(0 <= v <= 1 for k in panels[name] for v in metrics[k]
                                      if not math.isnan(v)):
            ax.set_ylim(0, 1.02)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = os.fspath(path)
    fig.savefig(path, dpi=dpi, format="png")
    return path
