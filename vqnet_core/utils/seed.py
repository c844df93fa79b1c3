"""One call to seed every random generator a VQNet program uses."""

from __future__ import annotations

import os
import random

import numpy as np

__all__ = ["seed_everything"]


def seed_everything(seed: int) -> int:
    """Seed VQNet's generator (``vqnet_core.manual_seed``), NumPy's global one and Python's
    ``random``; also sets ``PYTHONHASHSEED`` for child processes. Returns ``seed``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.utils import seed_everything
    >>> _ = seed_everything(7); a = (vq.rand(2).tolist(), random.random())
    >>> _ = seed_everything(7); b = (vq.rand(2).tolist(), random.random())
    >>> a == b
    True
    """
    from ..ops.creation import _seed_int, manual_seed

    seed = _seed_int(seed, "seed_everything")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    return seed
