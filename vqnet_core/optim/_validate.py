"""The one check of the optimizers', schedulers' and clipping functions' numeric settings.

>>> real_hyper(__import__("numpy").float32(0.5), "lr", low=0.0)
0.5
>>> real_hyper("0.01", "lr")
Traceback (most recent call last):
    ...
TypeError: lr must be a finite real number, got str '0.01'
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["real_hyper"]


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if high is None:
        if low == 0:
            return "positive" if low_open else "non-negative"
        return f"{'>' if low_open else '>='} {low}"
    if low is None:
        return f"{'<' if high_open else '<='} {high}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def real_hyper(value: Any, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False, allow_inf: bool = False,
               label: str | None = None) -> float:
    """``value`` as a Python float, or a clear error.

    Accepts Python and NumPy real numbers (not bools, strings or tensors); refuses NaN, and
    infinities unless ``allow_inf``; checks the range ``low``..``high`` (closed unless
    ``low_open`` / ``high_open``). ``label`` prefixes a range error ("invalid <label>: ...").
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite real number, got {type(value).__name__} "
                        f"{value!r}")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be a {'' if allow_inf else 'finite '}real number, "
                         f"got {v!r}")
    if ((low is not None and (v <= low if low_open else v < low))
            or (high is not None and (v >= high if high_open else v > high))):
        msg = f"{name} must be {_interval(low, high, low_open, high_open)}, got {v!r}"
        raise ValueError(f"invalid {label}: {msg}" if label else msg)
    return v
