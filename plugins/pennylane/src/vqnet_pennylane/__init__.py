"""vqnet-pennylane: PennyLane QNodes in VQNet networks (``PennyLaneLayer``), PennyLane
devices as VQNet machines (``pennylane.*``), and VQNet machines as PennyLane devices
(``vqnet.statevector``, ``vqnet.density_matrix``, ``vqnet.machine``)."""

from .translate import convert_qnode, convert_tape, ir_to_pl_ops, tape_to_ir

__all__ = ["convert_qnode", "convert_tape", "ir_to_pl_ops", "tape_to_ir"]
__version__ = "0.1.0"
