"""Embedding."""

from __future__ import annotations

from typing import Any

from ..autograd.engine import no_grad
from ..tensor import QTensor
from . import functional as F
from . import init
from ._layer_utils import float_dtype, new_param
from .module import Module

__all__ = ["Embedding"]


class Embedding(Module):
    """A lookup table [num_embeddings, embedding_dim], initialised N(0, 1) as PyTorch (the
    ``padding_idx`` row zeroed and kept out of the gradient).

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> nn.Embedding(10, 3)(vq.tensor([[1, 2], [3, 4]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = None, *, weight_initializer: Any = None, name: str = "") -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx {padding_idx} is out of range for "
                                 f"{num_embeddings} embeddings")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = new_param((self.num_embeddings, self.embedding_dim), float_dtype(dtype))
        if weight_initializer is None:
            init.normal_(self.weight)
        else:
            init._init_from(weight_initializer, self.weight)
        if padding_idx is not None:
            with no_grad():
                self.weight[padding_idx] = 0.0
        self.name = name

    def forward(self, x: QTensor) -> QTensor:
        return F.embedding(x, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
