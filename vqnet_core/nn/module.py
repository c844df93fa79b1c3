"""Module, Parameter and the containers.

>>> import vqnet_core as vq
>>> from vqnet_core import nn
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.w = nn.Parameter(vq.ones(2))
...     def forward(self, x):
...         return (self.w * x).sum()
>>> [name for name, _ in Net().named_parameters()]
['w']
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Self

import numpy as np

from ..tensor import QTensor


class Parameter(QTensor):
    """A tensor that a Module registers as trainable (``requires_grad=True`` by default)."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True, dtype: Any = None) -> None:
        if data is None:
            data = np.zeros((0,), dtype=np.float32)
        super().__init__(data, dtype=dtype)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model.

    Sub-modules, parameters and buffers are registered by attribute assignment.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---------------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before assigning attributes in a "
                                 f"{type(self).__name__}")
        for d in (self._parameters, self._modules, self._buffers):
            d.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for d in (self._parameters, self._modules, self._buffers):
            d.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: QTensor | None) -> None:
        """A non-trainable tensor saved in the state dict (running stats, ...)."""
        object.__setattr__(self, name, tensor)
        self._buffers[name] = tensor

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ---------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop(0)
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            for child_name, child in m._modules.items():
                if child is not None:
                    stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def children(self) -> Iterator[Module]:
        for m in self._modules.values():
            if m is not None:
                yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for n, m in self._modules.items():
            if m is not None:
                yield n, m

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mname, m in mods:
            for pname, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                pname = m._state_names.get(pname) or pname
                yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self) -> Iterator[tuple[str, QTensor]]:
        for mname, m in self.named_modules():
            for bname, b in m._buffers.items():
                if b is not None:
                    bname = m._state_names.get(bname) or bname
                    yield (f"{mname}.{bname}" if mname else bname), b

    def buffers(self) -> Iterator[QTensor]:
        for _, b in self.named_buffers():
            yield b

    # ---------------------------------------------------------------- state
    # the names this class's parameters and buffers take in state_dict, where they differ from
    # the attribute names (a compatibility layer's: pyvqnet's ``weights``); None leaves one out
    _state_names: dict[str, str | None] = {}

    def _state_entries(self) -> Iterator[tuple[str, QTensor]]:
        for mname, m in self.named_modules():
            for kind in ("_parameters", "_buffers"):
                for n, t in getattr(m, kind).items():
                    key = m._state_names.get(n, n)
                    if t is not None and key is not None:
                        yield (f"{mname}.{key}" if mname else key), t

    def state_dict(self) -> OrderedDict[str, QTensor]:
        """Parameters and buffers by dotted name (detached tensors sharing data)."""
        return OrderedDict((k, t.detach()) for k, t in self._state_entries())

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values into parameters and buffers; ``strict`` names missing and extra keys."""
        own = dict(self._state_entries())
        missing = [k for k in own if k not in state]
        extra = [k for k in state if k not in own]
        if strict and (missing or extra):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {extra}")
        for k, t in own.items():
            if k not in state:
                continue
            v = state[k]
            arr = v.numpy() if isinstance(v, QTensor) else np.asarray(v)
            if tuple(arr.shape) != t.shape:
                raise ValueError(f"load_state_dict: {k} has shape {tuple(arr.shape)} in the "
                                 f"state, {t.shape} in the model")
            t._data = t._b.from_numpy(arr.astype(t.dtype.name))
            t._version += 1

    # ---------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, flag: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = flag
        return self

    def to(self, target: Any) -> Module:
        """Move every parameter and buffer to an array backend (or cast to a dtype).

        A dtype cast, as in PyTorch, touches float / complex tensors only (integer buffers
        such as BatchNorm's ``num_batches_tracked`` keep their dtype)."""
        from ..dtypes import DType
        from ..tensor import _is_dtype_name

        is_cast = isinstance(target, DType) or (isinstance(target, str)
                                                and _is_dtype_name(target))
        for m in self.modules():
            for kind in ("_parameters", "_buffers"):
                for _n, t in list(getattr(m, kind).items()):
                    if t is None or (is_cast and t.dtype.kind not in "fc"):
                        continue
                    moved = t.detach().to(target)
                    t._data, t._b, t._dtype = moved._data, moved._b, moved._dtype
                    if t.grad is not None:
                        g = t.grad.to(target)
                        t.grad = g
        return self

    def apply(self, fn) -> Module:
        for m in self.modules():
            fn(m)
        return self

    # ---------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        if not self._modules:
            return lines[0] + ")"
        for n, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({n}): {sub}")
        return "\n".join(lines) + "\n)"


class _IndexedModules(Module):
    """Sub-modules named "0", "1", ...: indexing, length, iteration and append, shared by
    Sequential and ModuleList."""

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, m: Module) -> Self:
        self.add_module(str(len(self._modules)), m)
        return self


class Sequential(_IndexedModules):
    """Modules applied in order: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))``."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for n, m in modules[0].items():
                self.add_module(str(n), m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(_IndexedModules):
    """A list of sub-modules, registered."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or []:
            self.append(m)

    def extend(self, ms: Iterable[Module]) -> ModuleList:
        for m in ms:
            self.append(m)
        return self


class ModuleDict(Module):
    """A dict of sub-modules, registered."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for k, m in (modules or {}).items():
            self.add_module(k, m)

    def __getitem__(self, k: str) -> Module:
        return self._modules[k]

    def __setitem__(self, k: str, m: Module) -> None:
        self.add_module(k, m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


class ParameterList(Module):
    """A list of parameters, registered."""

    def __init__(self, params: Iterable[Parameter] | None = None) -> None:
        super().__init__()
        for p in params or []:
            self.append(p)

    def append(self, p: Parameter) -> ParameterList:
        if not isinstance(p, Parameter):
            p = Parameter(p)
        self.register_parameter(str(len(self._parameters)), p)
        return self

    def __getitem__(self, i: int) -> Parameter:
        return list(self._parameters.values())[i]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())
