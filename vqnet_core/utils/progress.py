"""Progress bars (tqdm) that stay quiet in logs and CI unless asked for."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["progress", "progress_enabled"]


def progress_enabled(force: bool | None = None, file: Any = None) -> bool:
    """Whether a bar is shown: ``force`` if given, else ``VQNET_PROGRESS`` (``0`` / ``1``),
    else only when the output stream is a terminal."""
    if force is not None:
        return bool(force)
    env = os.environ.get("VQNET_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    stream = file if file is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress(iterable: Iterable[Any] | None = None, force: bool | None = None,
             **kwargs: Any) -> Any:
    """``tqdm(iterable, **kwargs)``, disabled when not on a terminal (see
    :func:`progress_enabled`); an explicit ``disable=`` keyword wins.

    >>> from vqnet_core.utils import progress
    >>> sum(progress(range(4), force=False, desc="epoch"))
    6
    """
    from tqdm.auto import tqdm

    if "disable" not in kwargs:
        kwargs["disable"] = not progress_enabled(force, kwargs.get("file"))
    return tqdm(iterable, **kwargs)
