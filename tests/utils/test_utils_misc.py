"""seed_everything, progress and History / plot_history."""

from __future__ import annotations

import random
import sys

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.utils import History, plot_history, progress, progress_enabled, seed_everything


def test_seed_everything_replays_all_generators():
    def draw():
        return vq.rand(3).tolist(), np.random.rand(2).tolist(), random.random()

    seed_everything(11)
    a = draw()
    seed_everything(11)
    assert draw() == a
    seed_everything(12)
    assert draw() != a
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)


def test_progress_enabling_rules(monkeypatch):
    monkeypatch.delenv("VQNET_PROGRESS", raising=False)

    class Tty:
        def isatty(self):
            return True

        def write(self, s):
            pass

        def flush(self):
            pass

    assert progress_enabled(file=Tty()) is True
    assert progress_enabled() is sys.stderr.isatty()
    monkeypatch.setenv("VQNET_PROGRESS", "0")
    assert progress_enabled(file=Tty()) is False
    assert progress_enabled(force=True) is True
    monkeypatch.setenv("VQNET_PROGRESS", "1")
    assert progress_enabled() is True
    bar = progress(range(3), file=Tty())
    assert not bar.disable and list(bar) == [0, 1, 2]
    assert progress(range(3), disable=True).disable
    monkeypatch.setenv("VQNET_PROGRESS", "0")
    bar = progress(range(5), desc="x")
    assert bar.disable and sum(bar) == 10


def test_history_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    h = History()
    for e in range(4):
        h.log(loss=1.0 / (e + 1), val_loss=vq.tensor(1.2 / (e + 1)), accuracy=0.5 + 0.1 * e,
              lr=0.1)
    assert len(h) == 4 and h.last("accuracy") == pytest.approx(0.8)
    out = plot_history(h, tmp_path / "h.png", title="run")
    data = open(out, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    h2 = History()
    h2.load_state_dict(h.state_dict())
    assert h2["val_loss"] == h["val_loss"]
    plot_history({"loss": [0.3, 0.2]}, tmp_path / "d.png")
    with pytest.raises(ValueError, match="no values"):
        plot_history(History(), tmp_path / "e.png")


def test_plot_without_matplotlib_names_the_extra(monkeypatch, tmp_path):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match='pip install "vqnet\\[plot\\]"'):
        plot_history({"loss": [1.0]}, tmp_path / "x.png")
