"""pluggy extension points that many plugins may answer.

A plugin distribution registers a module (or object) in the entry-point group ``vqnet.hooks``;
the module defines functions named like the specs below, decorated with ``hookimpl``::

    from vqnet_core.hooks import hookimpl

    @hookimpl
    def vqnet_conformance_xfails(kind, name):
        if kind == "array" and name == "mybackend":
            return {"test_unary[erf-float32]": "erf is not implemented yet"}
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "vqnet"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class VQNetSpecs:
    """The hook specifications."""

    @hookspec
    def vqnet_conformance_xfails(self, kind: str, name: str) -> dict[str, str] | None:
        """Expected failures of the conformance suite for backend ``name`` of ``kind``
        (``"array"`` or ``"machine"``): a mapping from test id (or id prefix) to the reason."""

    @hookspec
    def vqnet_circuit_converters(self) -> dict[str, Any] | None:
        """Converters from foreign circuit objects to the VQNet IR: ``{"module.TypeName":
        converter}``, where ``converter(obj, **options)`` returns a
        :class:`vqnet_core.quantum.convert.ForeignCircuit` (see :func:`convert_circuit`)."""

    @hookspec
    def vqnet_info(self) -> dict[str, Any] | None:
        """Extra facts a plugin wants ``vqnet info`` to print (library versions, devices)."""


def distribution_versions(*names: str) -> dict[str, str]:
    """``{distribution: version or "not installed"}``: what a plugin's ``vqnet_info`` hook
    typically reports about the libraries it wraps.

    >>> distribution_versions("pluggy")["pluggy"] != "not installed"
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


_pm: list[pluggy.PluginManager] = []


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with every ``vqnet.hooks`` entry point loaded."""
    if not _pm:
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(VQNetSpecs)
        pm.load_setuptools_entrypoints("vqnet.hooks")
        _pm.append(pm)
    return _pm[0]
