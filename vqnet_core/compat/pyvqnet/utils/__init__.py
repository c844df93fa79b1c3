"""pyvqnet's ``pyvqnet.utils``: ``set_random_seed`` / ``get_random_seed``, ``initializer``,
and the core's ``save`` / ``load``.

>>> from vqnet_core.compat.pyvqnet.utils import set_random_seed, get_random_seed
>>> set_random_seed(7); get_random_seed()
7
"""

from __future__ import annotations

from vqnet_core.utils import load, save  # noqa: F401

from . import initializer  # noqa: F401
from .initializer import get_random_seed, set_random_seed  # noqa: F401

__all__ = ["set_random_seed", "get_random_seed", "initializer", "save", "load"]
