"""Utilities: safe save / load of state dicts, seeding, progress bars, training history,
and gradient clipping (re-exported from :mod:`vqnet_core.optim.clip`).

>>> from vqnet_core import utils
>>> sorted(n for n in utils.__all__ if n.startswith("s"))
['save', 'seed_everything']
"""

from ..optim.clip import clip_grad_norm_, clip_grad_value_
from .history import History, plot_history
from .progress import progress, progress_enabled
from .seed import seed_everything
from .serialization import NotAVQNetFileError, load, save

__all__ = ["save", "load", "NotAVQNetFileError", "seed_everything", "progress",
           "progress_enabled", "History", "plot_history", "clip_grad_norm_", "clip_grad_value_"]
