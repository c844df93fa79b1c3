"""Quantum neural-network layers, templates and measurement helpers.

>>> import vqnet_core as vq
>>> from vqnet_core.qnn import QuantumLayer, AngleEmbeddingCircuit, BasicEntangler
>>> def circuit(q, x, w):
...     AngleEmbeddingCircuit(q, x); BasicEntangler(q, w); q.expval({"Z0": 1.0})
>>> QuantumLayer(circuit, 2, (1, 2))(vq.tensor([[0.1, 0.2]])).shape
(1, 1)
"""

from ..quantum.builder import Recorder  # noqa: F401
from ..quantum.noise import (  # noqa: F401
    Channel,
    NoiseModel,
    amplitude_damping,
    bit_flip,
    bit_phase_flip,
    depolarizing,
    phase_damping,
    phase_flip,
    thermal_relaxation,
)
from .compatible import CompatibleLayer  # noqa: F401
from .measure import ProbsMeasure, QuantumMeasure, expval, probs, sample  # noqa: F401
from .quantum_layer import NoiseQuantumLayer, QuantumLayer  # noqa: F401
from .templates import (  # noqa: F401
    AmplitudeEmbeddingCircuit,
    AngleEmbeddingCircuit,
    BasicEmbeddingCircuit,
    BasicEntangler,
    BasisEmbeddingCircuit,
    CRotCircuit,
    HardwareEfficientAnsatz,
    IQPEmbedding,
    RotCircuit,
    StronglyEntangling,
    qaoa_cost_layer,
    qaoa_mixer_layer,
)
