"""VQNet dtypes and the torch-like promotion rules.

A dtype is a small named object; backends map its ``name`` to their native type.

>>> import vqnet_core as vq
>>> vq.promote_types(vq.float32, vq.int64)
vqnet_core.float32
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DType", "bool_", "int32", "int64", "float32", "float64", "complex64", "complex128",
    "ALL_DTYPES", "as_dtype", "promote_types", "scalar_result_type", "get_default_dtype",
    "set_default_dtype",
]


class DType:
    """A tensor element type: ``kind`` is one of ``b i f c``; ``itemsize`` in bytes."""

    __slots__ = ("name", "kind", "itemsize")

    def __init__(self, name: str, kind: str, itemsize: int) -> None:
        self.name = name
        self.kind = kind
        self.itemsize = itemsize

    def __repr__(self) -> str:
        return f"vqnet_core.{self.name}"

    def __reduce__(self):
        return (as_dtype, (self.name,))

    @property
    def is_floating_point(self) -> bool:
        return self.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.kind == "c"

    @property
    def is_differentiable(self) -> bool:
        return self.kind in "fc"

    def to_real(self) -> DType:
        """The real dtype of the same precision (complex128 -> float64)."""
        if self.kind != "c":
            return self
        return float64 if self is complex128 else float32

    def to_complex(self) -> DType:
        """The complex dtype of the same precision (float64 -> complex128)."""
        if self.kind == "c":
            return self
        return complex128 if self is float64 else complex64


bool_ = DType("bool", "b", 1)
int32 = DType("int32", "i", 4)
int64 = DType("int64", "i", 8)
float32 = DType("float32", "f", 4)
float64 = DType("float64", "f", 8)
complex64 = DType("complex64", "c", 8)
complex128 = DType("complex128", "c", 16)

ALL_DTYPES: tuple[DType, ...] = (bool_, int32, int64, float32, float64, complex64, complex128)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_ALIASES = {
    "bool_": bool_, "float": float32, "double": float64, "int": int64, "long": int64,
    "cfloat": complex64, "cdouble": complex128,
    # pyvqnet spellings
    "kbool": bool_, "kint32": int32, "kint64": int64, "kfloat32": float32,
    "kfloat64": float64, "kcomplex64": complex64, "kcomplex128": complex128,
}
# pyvqnet numbers its dtypes: kbool 0, kuint8 1, kint8 2, kint16 3, kint32 4, kint64 5,
# kfloat32 6, kfloat64 7, kcomplex64 8, kcomplex128 9 (VQNet has no 8/16-bit types)
_PYVQNET_CODES = {0: bool_, 4: int32, 5: int64, 6: float32, 7: float64, 8: complex64,
                  9: complex128}
_KIND_RANK = {"b": 0, "i": 1, "f": 2, "c": 3}
_default_float = [float32]


def get_default_dtype() -> DType:
    """The floating dtype used for Python floats and new tensors (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(dtype: Any) -> None:
    """Set the default floating dtype (float32 or float64)."""
    d = as_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"default dtype must be a floating dtype, got {d.name}")
    _default_float[0] = d


def as_dtype(dtype: Any) -> DType:
    """Turn a DType, a name ('float32'), a numpy dtype or a Python type into a DType."""
    if isinstance(dtype, DType):
        return dtype
    if dtype is None:
        return get_default_dtype()
    if dtype is bool:
        return bool_
    if dtype is int:
        return int64
    if dtype is float:
        return get_default_dtype()
    if dtype is complex:
        return get_default_dtype().to_complex()
    if isinstance(dtype, int) and not isinstance(dtype, bool) and dtype in _PYVQNET_CODES:
        return _PYVQNET_CODES[dtype]  # pyvqnet's integer dtype codes (x.astype(6))
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name is None:
        name = str(dtype)
    found = _BY_NAME.get(name) or _ALIASES.get(name)
    if found is None:
        raise TypeError(
            f"unsupported dtype {dtype!r}; VQNet dtypes are: "
            + ", ".join(d.name for d in ALL_DTYPES)
        )
    return found


def promote_types(a: DType, b: DType) -> DType:
    """The dtype of a binary op between two tensors (PyTorch's rules)."""
    if a is b:
        return a
    ra, rb = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if ra == rb:
        return a if a.itemsize >= b.itemsize else b
    hi, lo = (a, b) if ra > rb else (b, a)
    if hi.kind == "c" and lo is float64:
        return complex128
    return hi


def scalar_result_type(dtype: DType, value: Any) -> DType:
    """The dtype of a tensor-with-Python-scalar op: a scalar only lifts the kind."""
    if isinstance(value, bool):
        return dtype
    if isinstance(value, int):
        return int64 if dtype.kind == "b" else dtype
    if isinstance(value, float):
        return get_default_dtype() if dtype.kind in "bi" else dtype
    if isinstance(value, complex):
        if dtype.kind == "c":
            return dtype
        return complex128 if dtype is float64 else get_default_dtype().to_complex()
    raise TypeError(f"unsupported scalar operand of type {type(value).__name__}")
