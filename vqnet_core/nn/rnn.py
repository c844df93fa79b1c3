"""Recurrent layers: RNN, LSTM, GRU, with PyTorch's parameter names, gate order, shapes and
defaults (``num_layers``, ``bidirectional``, ``batch_first``, inter-layer ``dropout``).

The input-to-hidden product of a whole sequence is one matmul; the time loop runs only the
hidden-to-hidden part. Gradients come from the tape.
"""

from __future__ import annotations

import math
from typing import Any

from ..ops import shape as sh
from ..ops.creation import zeros
from ..ops.elementwise import binary, unary
from ..ops.linalg import matmul
from ..tensor import QTensor
from . import functional as F
from . import init
from ._layer_utils import float_dtype, new_param
from .module import Module

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNBase(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__()
        if hidden_size < 1 or num_layers < 1 or input_size < 1:
            raise ValueError("input_size, hidden_size and num_layers must be positive")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.nonlinearity, self.bias = int(num_layers), nonlinearity, bias
        self.batch_first, self.dropout = batch_first, float(dropout)
        self.bidirectional = bidirectional
        d = float_dtype(dtype)
        dirs = 2 if bidirectional else 1
        g = self._gates * hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            in_sz = input_size if layer == 0 else hidden_size * dirs
            for sfx in ("", "_reverse")[:dirs]:
                names = [f"weight_ih_l{layer}{sfx}", f"weight_hh_l{layer}{sfx}"]
                shapes = [(g, in_sz), (g, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{sfx}", f"bias_hh_l{layer}{sfx}"]
                    shapes += [(g,), (g,)]
                for n, s in zip(names, shapes):
                    p = new_param(s, d)
                    init.uniform_(p, -bound, bound)
                    setattr(self, n, p)

    # one time step: (input projection at t, hidden state) -> new hidden state
    def _cell(self, xw: QTensor, state: Any, w_hh: QTensor, b_hh: QTensor | None) -> Any:
        raise NotImplementedError

    def _hidden(self, state: Any) -> QTensor:
        return state

    def _init_state(self, hx: Any, n: int, dtype: Any, backend: Any) -> list[Any]:
        dirs = 2 if self.bidirectional else 1
        shape = (self.num_layers * dirs, n, self.hidden_size)
        if hx is None:
            h = zeros(*shape, dtype=dtype, backend=backend)
            return [h[k] for k in range(shape[0])]
        if hx.shape != shape:
            raise ValueError(f"{type(self).__name__}: initial hidden state must have shape "
                             f"{shape}, got {hx.shape}")
        return [hx[k] for k in range(shape[0])]

    def _run(self, x: QTensor, states: list[Any]) -> tuple[QTensor, list[Any]]:
        seq = x.shape[0]
        dirs = 2 if self.bidirectional else 1
        finals: list[Any] = []
        for layer in range(self.num_layers):
            outs = []
            for k, sfx in enumerate(("", "_reverse")[:dirs]):
                w_ih = getattr(self, f"weight_ih_l{layer}{sfx}")
                w_hh = getattr(self, f"weight_hh_l{layer}{sfx}")
                b_ih = getattr(self, f"bias_ih_l{layer}{sfx}", None) if self.bias else None
                b_hh = getattr(self, f"bias_hh_l{layer}{sfx}", None) if self.bias else None
                xw = F.linear(x, w_ih, b_ih)  # [T, N, gates * H], all steps at once
                state = states[layer * dirs + k]
                steps = range(seq - 1, -1, -1) if k == 1 else range(seq)
                hs: list[QTensor] = [None] * seq  # type: ignore[list-item]
                for t in steps:
                    state = self._cell(xw[t], state, w_hh, b_hh)
                    hs[t] = self._hidden(state)
                outs.append(sh.stack(hs, 0))
                finals.append(state)
            x = outs[0] if dirs == 1 else sh.concatenate(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, finals

    def _forward(self, x: QTensor, hx: Any) -> tuple[QTensor, list[Any], bool]:
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects input [seq, batch, "
                             f"{self.input_size}] (batch first if batch_first=True) or "
                             f"[seq, {self.input_size}], got shape {x.shape}")
        shape = x.shape
        unbatched = x.ndim == 2
        if unbatched:
            x = sh.unsqueeze(x, 1)
        elif self.batch_first:
            x = sh.permute(x, (1, 0, 2))
        if x.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}: the input sequence has length 0 (input "
                             f"shape {shape}, batch_first={self.batch_first}); a recurrent "
                             "layer needs at least one time step")
        return x, unbatched

    def _finish(self, out: QTensor, unbatched: bool) -> QTensor:
        if unbatched:
            return sh.squeeze(out, 1)
        return sh.permute(out, (1, 0, 2)) if self.batch_first else out

    @staticmethod
    def _unbatch_hx(hx: Any, unbatched: bool) -> Any:
        return sh.unsqueeze(hx, 1) if (hx is not None and unbatched) else hx

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


def _gemm(h: QTensor, w: QTensor, b: QTensor | None) -> QTensor:
    out = matmul(h, sh.permute(w, (1, 0)))
    return binary("add", out, b) if b is not None else out


class RNN(_RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``; returns
    ``(output, h_n)`` like PyTorch.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> out, h = nn.RNN(4, 8, num_layers=2, batch_first=True)(vq.randn(3, 5, 4))
    >>> out.shape, h.shape
    ((3, 5, 8), (2, 3, 8))
    """

    _gates = 1

    def _cell(self, xw, state, w_hh, b_hh):
        pre = binary("add", xw, _gemm(state, w_hh, b_hh))
        return F.relu(pre) if self.nonlinearity == "relu" else unary("tanh", pre)

    def forward(self, x: QTensor, hx: QTensor | None = None) -> tuple[QTensor, QTensor]:
        x, unbatched = self._forward(x, hx)
        states = self._init_state(self._unbatch_hx(hx, unbatched), x.shape[1], x.dtype, x._b)
        out, finals = self._run(x, states)
        h = sh.stack(finals, 0)
        return self._finish(out, unbatched), (sh.squeeze(h, 1) if unbatched else h)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class _GatedRNN(_RNNBase):
    """LSTM's and GRU's constructor: PyTorch's, with no ``nonlinearity`` (the gates fix it)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, "tanh", bias, batch_first,
                         dropout, bidirectional, dtype)


class LSTM(_GatedRNN):
    """Long short-term memory (gates i, f, g, o as PyTorch); returns
    ``(output, (h_n, c_n))``.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> out, (h, c) = nn.LSTM(4, 8, bidirectional=True)(vq.randn(5, 3, 4))
    >>> out.shape, h.shape, c.shape
    ((5, 3, 16), (2, 3, 8), (2, 3, 8))
    """

    _gates = 4

    def _cell(self, xw, state, w_hh, b_hh):
        h, c = state
        gates = binary("add", xw, _gemm(h, w_hh, b_hh))
        i, f, g, o = sh.split(gates, self.hidden_size, -1)
        c = binary("add", binary("mul", unary("sigmoid", f), c),
                   binary("mul", unary("sigmoid", i), unary("tanh", g)))
        h = binary("mul", unary("sigmoid", o), unary("tanh", c))
        return h, c

    def _hidden(self, state):
        return state[0]

    def forward(self, x: QTensor, hx: tuple[QTensor, QTensor] | None = None
                ) -> tuple[QTensor, tuple[QTensor, QTensor]]:
        x, unbatched = self._forward(x, hx)
        h0, c0 = (None, None) if hx is None else hx
        hs = self._init_state(self._unbatch_hx(h0, unbatched), x.shape[1], x.dtype, x._b)
        cs = self._init_state(self._unbatch_hx(c0, unbatched), x.shape[1], x.dtype, x._b)
        out, finals = self._run(x, list(zip(hs, cs)))
        h = sh.stack([s[0] for s in finals], 0)
        c = sh.stack([s[1] for s in finals], 0)
        if unbatched:
            h, c = sh.squeeze(h, 1), sh.squeeze(c, 1)
        return self._finish(out, unbatched), (h, c)


class GRU(_GatedRNN):
    """Gated recurrent unit (gates r, z, n as PyTorch); returns ``(output, h_n)``.

    >>> import vqnet_core as vq
    >>> from vqnet_core import nn
    >>> out, h = nn.GRU(4, 8, num_layers=2)(vq.randn(5, 3, 4))
    >>> out.shape, h.shape
    ((5, 3, 8), (2, 3, 8))
    """

    _gates = 3

    def _cell(self, xw, state, w_hh, b_hh):
        hw = _gemm(state, w_hh, b_hh)
        xr, xz, xn = sh.split(xw, self.hidden_size, -1)
        hr, hz, hn = sh.split(hw, self.hidden_size, -1)
        r = unary("sigmoid", binary("add", xr, hr))
        z = unary("sigmoid", binary("add", xz, hz))
        n = unary("tanh", binary("add", xn, binary("mul", r, hn)))
        # h' = (1 - z) * n + z * h = n + z * (h - n)
        return binary("add", n, binary("mul", z, binary("sub", state, n)))

    def forward(self, x: QTensor, hx: QTensor | None = None) -> tuple[QTensor, QTensor]:
        x, unbatched = self._forward(x, hx)
        states = self._init_state(self._unbatch_hx(hx, unbatched), x.shape[1], x.dtype, x._b)
        out, finals = self._run(x, states)
        h = sh.stack(finals, 0)
        return self._finish(out, unbatched), (sh.squeeze(h, 1) if unbatched else h)
