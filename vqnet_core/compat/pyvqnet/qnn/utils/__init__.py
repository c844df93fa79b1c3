"""pyvqnet's ``qnn.utils``: ``QiskitLayer``, ``CirqLayer`` and ``Compatiblelayer``.

The Qiskit and Cirq layers are VQNet plugins (``vqnet_qiskit``, ``vqnet_cirq``); these names
reach them when they are installed and otherwise raise an ImportError that says so.
"""

from .compatible_layer import CirqLayer, Compatiblelayer, QiskitLayer  # noqa: F401
