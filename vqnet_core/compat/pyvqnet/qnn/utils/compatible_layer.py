"""``Compatiblelayer`` (the core's :class:`~vqnet_core.qnn.CompatibleLayer`) and the paper's
``QiskitLayer`` / ``CirqLayer`` spellings, which reach the Qiskit / Cirq plugins."""

from __future__ import annotations

import importlib
from typing import Any

from vqnet_core.qnn.compatible import CompatibleLayer as Compatiblelayer  # noqa: F401

__all__ = ["Compatiblelayer", "QiskitLayer", "CirqLayer"]


def _plugin_layer(module: str, name: str, dist: str) -> Any:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{name} is provided by the {dist} plugin (module {module}), which "
                          f"is not installed here; install it to run {name} circuits") from exc
    try:
        return getattr(mod, name)
    except AttributeError:
        raise ImportError(f"the installed {module} has no {name}") from None


def QiskitLayer(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
    """The paper's ``QiskitLayer(circuit, para_num)``: from the ``vqnet_qiskit`` plugin."""
    return _plugin_layer("vqnet_qiskit", "QiskitLayer", "vqnet-qiskit")(*args, **kwargs)


def CirqLayer(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
    """pyvqnet's ``CirqLayer(circuit, para_num)``: from the ``vqnet_cirq`` plugin."""
    return _plugin_layer("vqnet_cirq", "CirqLayer", "vqnet-cirq")(*args, **kwargs)


QiskitLayerV2 = QiskitLayer
