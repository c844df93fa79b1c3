"""Plugins build on the public core only: no plugin (nor the template a plugin author copies,
nor the guide's example machine) imports a private ``vqnet_core`` name.

A name is private when a component of its dotted path starts with ``_`` (``vqnet_core.backend._x``,
``from vqnet_core.quantum.measure_eval import _sample_bits``); dunders (``__version__``) are
public. Attribute access on an imported core module (``K._helper`` after
``from vqnet_core.quantum import kernels as K``) counts as well. What is public is listed in
``docs/writing-a-backend.md`` ("The public API plugins build on").
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _sources() -> list[pathlib.Path]:
    files = sorted(ROOT.glob("plugins/*/src/**/*.py"))
    files += sorted(ROOT.glob("docs/template-plugin/**/*.py"))
    files += sorted(ROOT.glob("docs/examples/*.py"))
    return files


def _private(parts: list[str]) -> bool:
    return any(p.startswith("_") and not (p.startswith("__") and p.endswith("__"))
               for p in parts)


def private_core_imports(source: str, filename: str = "<string>") -> list[str]:
    """``file:line: what`` for every private ``vqnet_core`` name that ``source`` imports or
    reaches through an imported core module."""
    tree = ast.parse(source, filename)
    found: list[str] = []
    core_names: set[str] = set()  # local names bound to vqnet_core modules / objects

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] != "vqnet_core":
                    continue
                if _private(parts):
                    flag(node, f"import {a.name}")
                core_names.add(a.asname or parts[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "vqnet_core":
                continue
            if _private(parts):
                flag(node, f"from {node.module} import ...")
            for a in node.names:
                if a.name == "*":
                    continue
                if _private([a.name]):
                    flag(node, f"from {node.module} import {a.name}")
                core_names.add(a.asname or a.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in core_names and _private([node.attr]):
            flag(node, f"{node.value.id}.{node.attr}")
    return found


def test_the_check_sees_private_imports():
    bad = ("import vqnet_core._x\n"
           "from vqnet_core.backend._blas import single_thread\n"
           "from vqnet_core.quantum.measure_eval import _sample_bits, evaluate\n"
           "from vqnet_core.quantum import kernels as K\n"
           "y = K._chunk(1, 2)\n")
    got = private_core_imports(bad, "p.py")
    assert got == ["p.py:1: import vqnet_core._x",
                   "p.py:2: from vqnet_core.backend._blas import ...",
                   "p.py:3: from vqnet_core.quantum.measure_eval import _sample_bits",
                   "p.py:5: K._chunk"], got
    good = ("import vqnet_core as vq\nfrom vqnet_core import __version__\n"
            "from vqnet_core.quantum.results import measure_state\n"
            "from ._ext import f\nfrom numpy import _globals\nx = vq.backend\n")
    assert private_core_imports(good) == []


def test_sources_are_found():
    rels = [p.relative_to(ROOT).parts for p in _sources()]
    names = {r[1] for r in rels if r[0] == "plugins"}
    assert {"cpu", "qpanda"} <= names, names


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_core_imports(path):
    found = private_core_imports(path.read_text(), str(path.relative_to(ROOT)))
    assert not found, ("plugins may only use vqnet_core's public API (see "
                       "docs/writing-a-backend.md); private names used:\n" + "\n".join(found))
