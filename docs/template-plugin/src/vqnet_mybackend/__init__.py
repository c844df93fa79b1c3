"""An example VQNet array backend: the NumPy reference backend plus one fused kernel.

Copy ``docs/template-plugin`` to ``plugins/<name>``, rename ``mybackend`` and start replacing
primitives with your engine's. Only public ``vqnet_core`` names are used (a test of the core
fails on a plugin that imports a private one).

>>> import vqnet_core as vq
>>> with vq.backend(MyBackend()):
...     vq.tensor([1.0, 2.0]).sum().item()
3.0
"""

from __future__ import annotations

import numpy as np

from vqnet_core.backend import Capabilities
from vqnet_core.backend.numpy_backend import NumpyBackend

__all__ = ["MyBackend"]


class MyBackend(NumpyBackend):
    """NumPy arrays; every primitive inherited, plus a fused softmax-cross-entropy.

    Subclassing :class:`NumpyBackend` means the native arrays are ``numpy.ndarray``; an
    engine with its own array type implements :class:`vqnet_core.backend.ArrayBackend`
    instead (see ``docs/writing-a-backend.md``).
    """

    name = "mybackend"
    capabilities = Capabilities(
        kernels=NumpyBackend.capabilities.kernels
        | {"softmax_cross_entropy", "softmax_cross_entropy_backward"},
        device="cpu")

    def k_softmax_cross_entropy(self, logits, labels):
        """Per-sample ``logsumexp(logits) - logits[label]`` of ``[N, C]`` logits."""
        m = logits.max(axis=1, keepdims=True)  # subtract the row max: no overflow
        lse = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
        return (lse - logits[np.arange(logits.shape[0]), labels]).astype(logits.dtype)

    def k_softmax_cross_entropy_backward(self, logits, labels, g):
        """``(softmax(logits) - onehot(labels)) * g[:, None]``."""
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(logits.shape[0]), labels] -= 1
        return (p * g[:, None]).astype(logits.dtype)
