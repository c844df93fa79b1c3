"""Small helpers shared by the layer modules."""

from __future__ import annotations

import math
from typing import Any

from ..dtypes import as_dtype, get_default_dtype
from ..ops.creation import zeros
from . import init
from .module import Parameter

__all__ = ["new_param", "init_weight_bias", "pick", "float_dtype"]


def float_dtype(dtype: Any) -> Any:
    """The layer's parameter dtype (the default float dtype when None)."""
    d = get_default_dtype() if dtype is None else as_dtype(dtype)
    if d.kind not in "fc":
        raise TypeError(f"layer parameters need a float or complex dtype, got {d.name}")
    return d


def new_param(shape: tuple[int, ...], dtype: Any) -> Parameter:
    """A zero-filled trainable parameter of ``shape``."""
    return Parameter(zeros(*shape, dtype=dtype))


def init_weight_bias(weight: Parameter, bias: Parameter | None, fan_in: int,
                     weight_init: Any = None, bias_init: Any = None) -> None:
    """PyTorch's default: kaiming-uniform(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias; or
    the user's initializers (callables on the tensor, or values)."""
    if weight_init is None:
        init.kaiming_uniform_(weight, a=math.sqrt(5))
    else:
        init._init_from(weight_init, weight)
    if bias is not None:
        if bias_init is None:
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(bias, -bound, bound)
        else:
            init._init_from(bias_init, bias)


def pick(name: str, torch_value: Any, vqnet_value: Any, default: Any) -> Any:
    """One argument given under a PyTorch name or a pyvqnet name (not both)."""
    if torch_value is not None and vqnet_value is not None:
        raise TypeError(f"{name} was given twice (PyTorch and pyvqnet spellings)")
    if torch_value is not None:
        return torch_value
    if vqnet_value is not None:
        return vqnet_value
    return default
