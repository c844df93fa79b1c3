"""User-defined differentiable functions, as in the paper's hand-made hybrid layer.

>>> import vqnet_core as vq
>>> class Square(vq.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return 2 * x * g
>>> x = vq.tensor([3.0], requires_grad=True)
>>> Square.apply(x).backward()
>>> x.grad.tolist()
[6.0]
"""

from __future__ import annotations

from typing import Any

from .engine import Node, is_grad_enabled, no_grad


class FunctionCtx:
    """Carries state from ``forward`` to ``backward``."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._versions: tuple = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors
        self._versions = tuple(getattr(t, "_version", None) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to :meth:`save_for_backward`; an error if one of them was
        modified in place since (its values would no longer be the ones forward used)."""
        for i, (t, v) in enumerate(zip(self._saved, self._versions)):
            if v is not None and t._version != v:
                raise RuntimeError(
                    f"one of the tensors saved for backward (saved_tensors[{i}], shape "
                    f"{t.shape}) has been modified by an in-place operation: it is at version "
                    f"{t._version}, expected version {v}. Compute the in-place change on a "
                    "clone() instead")
        return self._saved


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call
    ``apply``. ``backward`` returns one gradient (or None) per positional input of forward."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from ..tensor import QTensor

        tensors = [a for a in args if isinstance(a, QTensor)]
        needs = tuple(isinstance(a, QTensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = isinstance(out, QTensor)
        if not single and not isinstance(out, (tuple, list)):
            raise TypeError(f"{cls.__name__}.forward must return QTensors, got "
                            f"{type(out).__name__}")
        outs = (out,) if single else tuple(out)
        for o in outs:
            if not isinstance(o, QTensor):
                raise TypeError(f"{cls.__name__}.forward must return QTensors, got "
                                f"{type(o).__name__}")
        if not (is_grad_enabled() and any(needs)):
            return out
        positions = [i for i, a in enumerate(args) if isinstance(a, QTensor)]
        shapes = [o.shape for o in outs]

        def make_backward(k: int):
            def backward(g):
                grads = []
                for j, o in enumerate(outs):
                    gj = g if j == k else o._b.full(shapes[j], 0, o._dtype.name)
                    grads.append(QTensor._wrap(gj, o._b, o._dtype))
                with no_grad():
                    res = cls.backward(ctx, *grads)
                if not isinstance(res, (tuple, list)):
                    res = (res,)
                if len(res) > len(args) and all(r is None for r in res[len(args):]):
                    res = res[:len(args)]  # trailing Nones are fine, as in PyTorch
                if len(res) != len(args):
                    raise RuntimeError(
                        f"{cls.__name__}.backward returned {len(res)} "
                        f"gradient{'' if len(res) == 1 else 's'}, but forward took "
                        f"{len(args)} input{'' if len(args) == 1 else 's'} (return one "
                        "gradient, or None, per positional input of forward)")
                result = []
                for i in positions:
                    r = res[i]
                    if r is None:
                        result.append(None)
                        continue
                    r = r if isinstance(r, QTensor) else QTensor(r, backend=args[i]._b)
                    if r.shape != args[i].shape:
                        raise ValueError(f"{cls.__name__}.backward returned a gradient of shape "
                                         f"{r.shape} for an input of shape {args[i].shape}")
                    result.append(r._data)
                return result
            return backward

        wrapped = []
        for k, o in enumerate(outs):
            t = QTensor._wrap(o._data, o._b, o._dtype)
            if o._dtype.kind in "fc":
                t.requires_grad = True
                t._node = Node(tuple(tensors), make_backward(k), cls.__name__)
            wrapped.append(t)
        return wrapped[0] if single else tuple(wrapped)
