"""pyvqnet's ``pyvqnet.qnn``: ``QuantumLayer`` / ``NoiseQuantumLayer`` running pyqpanda
programs, the pyqpanda templates and measurements, and ``qnn.utils`` (Qiskit / Cirq layers).

Everything here that runs a program needs ``pyqpanda`` (QPanda's pre-3 API, CPython 3.11
wheels only); importing the module does not.
"""

from . import measure, quantumlayer, template, utils  # noqa: F401
from .measure import ProbsMeasure, QuantumMeasure, expval  # noqa: F401
from .quantumlayer import NoiseQuantumLayer, QuantumLayer  # noqa: F401
from .template import (  # noqa: F401
    AmplitudeEmbeddingCircuit,
    AngleEmbeddingCircuit,
    BasicEmbeddingCircuit,
    BasicEntanglerTemplate,
    CRotCircuit,
    IQPEmbeddingCircuits,
    RotCircuit,
    StronglyEntanglingTemplate,
)
from .utils import CirqLayer, Compatiblelayer, QiskitLayer  # noqa: F401
