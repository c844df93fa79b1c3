"""The Optimizer base: parameter groups, per-parameter state, state_dict, zero_grad.

Subclasses implement :meth:`Optimizer._update` for one parameter, in backend primitives on
native arrays. Updates never write into an array: they return new arrays, which the base
class assigns to ``param._data`` (see docs/internals.md). Complex parameters are updated
as PyTorch does: on the real view (real and imaginary parts as independent reals).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

from ..autograd.engine import enable_grad, no_grad
from ..tensor import QTensor
from ._validate import real_hyper

__all__ = ["Optimizer", "ParamState"]


class ParamState(MutableMapping):
    """Per-parameter state keyed by the parameter object (by identity, never by value)."""

    def __init__(self) -> None:
        self._d: dict[int, tuple[QTensor, dict]] = {}

    def __getitem__(self, p: QTensor) -> dict:
        entry = self._d.get(id(p))
        if entry is None:
            entry = self._d[id(p)] = (p, {})
        return entry[1]

    def __setitem__(self, p: QTensor, value: dict) -> None:
        self._d[id(p)] = (p, value)

    def __delitem__(self, p: QTensor) -> None:
        del self._d[id(p)]

    def __contains__(self, p: object) -> bool:
        return id(p) in self._d

    def __iter__(self) -> Iterator[QTensor]:
        return iter([p for p, _ in self._d.values()])

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return f"ParamState({len(self)} parameters)"


# ---------------------------------------------------------------- complex as real views
def real_view(B: Any, a: Any) -> Any:
    """A complex array as a real one with a trailing axis of 2 (torch.view_as_real)."""
    shape = tuple(B.shape(a)) + (1,)
    return B.concatenate([B.reshape(B.unary("real", a), shape),
                          B.reshape(B.unary("imag", a), shape)], len(shape) - 1)


def complex_view(B: Any, a: Any) -> Any:
    """Inverse of :func:`real_view`."""
    return B.binary("complex", B.getitem(a, (Ellipsis, 0)), B.getitem(a, (Ellipsis, 1)))


class Optimizer:
    """Base class of the optimizers (PyTorch's interface and ``state_dict`` layout).

    ``params`` is an iterable of tensors, or of dicts each with a ``"params"`` entry and
    per-group options that override ``defaults``.

    >>> import vqnet_core as vq
    >>> from vqnet_core.optim import SGD
    >>> w = vq.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.tolist()
    [0.800000011920929, 1.600000023841858]
    """

    #: Names of the per-parameter state entries that hold arrays (shaped like the parameter).
    _array_state: tuple[str, ...] = ()
    #: The numeric hyper-parameters a group may hold, with the keyword arguments of
    #: :func:`~vqnet_core.optim._validate.real_hyper` giving each one's range (PyTorch's);
    #: ``betas`` is a pair, each in [0, 1). Subclasses with other settings extend this.
    _hyper_ranges: dict[str, dict[str, Any]] = {
        "lr": dict(low=0.0, label="learning rate"),
        "weight_decay": dict(low=0.0),
        "eps": dict(low=0.0),
        "momentum": dict(low=0.0),
        "dampening": {},
        "lr_decay": dict(low=0.0),
        "initial_accumulator_value": dict(low=0.0),
        "rho": dict(low=0.0, high=1.0),
        "alpha": dict(low=0.0),
    }

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state = ParamState()
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, QTensor):
            raise TypeError("params must be an iterable of tensors or of dicts, not a single "
                            "tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"

    # ---------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a param group needs a 'params' entry")
        params = [params] if isinstance(params, QTensor) else list(params)
        for p in params:
            if not isinstance(p, QTensor):
                raise TypeError(f"optimizer can only optimize QTensors, got "
                                f"{type(p).__name__}")
            if p.dtype.kind not in "fc":
                raise TypeError(f"optimizer can only optimize float or complex tensors, got "
                                f"{p.dtype.name}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf tensor (detach it, or pass the "
                                 "leaf parameters)")
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError("a param group contains a parameter more than once")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & set(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        group["params"] = params
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate the hyper-parameters of ``group`` (each a finite real number in its
        range, stored back as a Python float; subclasses add checks across settings)."""
        for name, rng in self._hyper_ranges.items():
            if name in group:
                group[name] = real_hyper(group[name], name, **rng)
        if "betas" in group:
            betas = group["betas"]
            if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") \
                    or len(betas) != 2:
                raise TypeError(f"betas must be a pair of real numbers, got "
                                f"{type(betas).__name__} {betas!r}")
            group["betas"] = tuple(real_hyper(b, f"betas[{i}]", low=0.0, high=1.0,
                                              high_open=True) for i, b in enumerate(betas))

    # ---------------------------------------------------------------- gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or set it to zeros with ``set_to_none=False``)."""
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = QTensor._wrap(p._b.full(p.shape, 0, p.dtype.name), p._b, p.dtype)

    # ---------------------------------------------------------------- stepping
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self._step_param(p, group)
        return loss

    def _step_param(self, p: QTensor, group: dict[str, Any]) -> None:
        if not isinstance(p.grad, QTensor):
            raise TypeError(f"the .grad of a parameter of shape {p.shape} must be a QTensor, "
                            f"got {type(p.grad).__name__}")
        if p.grad.shape != p.shape:
            raise ValueError(f"{type(self).__name__}.step: a parameter of shape {p.shape} has a "
                             f"gradient of shape {p.grad.shape}; they must match")
        B = p._b
        g = p.grad._data if p.grad._b is B else B.from_numpy(p.grad.numpy())
        if B.dtype_name(g) != p.dtype.name:
            g = B.astype(g, p.dtype.name)
        state = self.state[p]
        cplx = p.dtype.kind == "c"
        arrays = {k: v._data for k, v in state.items() if isinstance(v, QTensor)}
        data = p._data
        if cplx:  # update the real view, as torch does for complex parameters
            data, g = real_view(B, data), real_view(B, g)
            arrays = {k: real_view(B, v) for k, v in arrays.items()}
        scalars = {k: v for k, v in state.items() if not isinstance(v, QTensor)}
        new_p, new_arrays, new_scalars = self._update(B, data, g, arrays, scalars, group)
        if cplx:
            new_p = complex_view(B, new_p)
            new_arrays = {k: (complex_view(B, v) if v is not None else None)
                          for k, v in new_arrays.items()}
        p._data = new_p
        p._version += 1  # values saved as tensors for backward (Function) are now stale
        for k, v in new_arrays.items():
            if v is not None:
                state[k] = QTensor._wrap(v, B, p.dtype)
        state.update(new_scalars)

    def _update(self, B: Any, p: Any, g: Any, arrays: dict[str, Any], scalars: dict[str, Any],
                group: dict[str, Any]) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """New parameter array, new state arrays and new state scalars for one parameter."""
        raise NotImplementedError

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered across groups in order, as in PyTorch; the dict holds only
        tensors, numbers, strings and lists, so :func:`vqnet_core.utils.save` can store it.
        """
        index: dict[int, int] = {}
        groups = []
        n = 0
        for g in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                if id(p) not in index:
                    index[id(p)] = n
                    n += 1
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {
                        k: (v.detach() if isinstance(v, QTensor) else copy.deepcopy(v))
                        for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by :meth:`state_dict` (same parameter layout)."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            raise ValueError("load_state_dict expects a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, the "
                             f"optimizer has {len(self.param_groups)}")
        for i, (sg, g) in enumerate(zip(saved_groups, self.param_groups)):
            if len(sg["params"]) != len(g["params"]):
                raise ValueError(f"parameter group {i} has {len(sg['params'])} parameters in "
                                 f"the loaded state dict, {len(g['params'])} in the optimizer")
        by_index = {}
        for sg, g in zip(saved_groups, self.param_groups):
            for idx, p in zip(sg["params"], g["params"]):
                by_index[int(idx)] = p
        new_state = ParamState()
        for idx, st in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                continue
            new_state[p] = {k: self._restore_value(k, v, p) for k, v in st.items()}
        new_groups = []
        for sg, g in zip(saved_groups, self.param_groups):
            ng = {k: copy.deepcopy(v) for k, v in sg.items() if k != "params"}
            ng["params"] = g["params"]
            self._check_group(ng)
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups

    @staticmethod
    def _restore_value(key: str, v: Any, p: QTensor) -> Any:
        import numpy as np

        if isinstance(v, np.ndarray):
            v = QTensor(v)
        if isinstance(v, QTensor):
            if v.shape != p.shape:
                raise ValueError(f"state {key!r} has shape {v.shape}, the parameter {p.shape}")
            arr = v.numpy() if v._b is not p._b else v._data
            B = p._b
            data = B.from_numpy(arr) if v._b is not B else arr
            if B.dtype_name(data) != p.dtype.name:
                data = B.astype(data, p.dtype.name)
            return QTensor._wrap(data, B, p.dtype)
        return copy.deepcopy(v)


def param_list(params: Iterable[Any]) -> list[QTensor]:
    """Flatten an iterable of tensors (or a single tensor) into a list."""
    if isinstance(params, QTensor):
        return [params]
    return list(params)
