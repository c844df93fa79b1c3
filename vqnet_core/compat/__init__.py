"""Compatibility layers: other frameworks' spellings over the VQNet core.

Nothing here is imported by ``import vqnet_core``; each layer is imported on its own:

* :mod:`vqnet_core.compat.pyvqnet` -- pyvqnet's module paths and conventions (losses called
  ``loss(target, output)``, ``tensor.flatten``, ``optimizer._step()``, pyqpanda-program
  ``QuantumLayer``...), so that pyvqnet code runs with its import lines changed only.
  See ``docs/from-pyvqnet.md``.
"""
