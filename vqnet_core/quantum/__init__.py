"""The quantum side of VQNet: circuit IR, gates, observables, machines and gradients.

>>> import numpy as np
>>> from vqnet_core.quantum import Circuit, Operation, ParamRef, Expval, get_machine
>>> c = Circuit(1, [Operation("RY", (0,), (ParamRef(0),))])
>>> float(get_machine("statevector").execute(c, np.array([[np.pi]]), [Expval("Z0")])[0][0])
-1.0
"""

from .circuit import (  # noqa: F401
    Amplitude,
    Circuit,
    Density,
    Expval,
    Measurement,
    Operation,
    ParamRef,
    Probs,
    Sample,
    State,
)
from .convert import (  # noqa: F401
    AffineAngle,
    ConversionError,
    ForeignCircuit,
    available_converters,
    convert_circuit,
    register_converter,
)
from .drawing import draw_layer, draw_mpl, draw_text  # noqa: F401
from .gates import GATES, GateDef, GateError, get_gate, shift_rule  # noqa: F401
from .machine import Machine, MachineCapabilities, MachineError, UnsupportedError  # noqa: F401
from .observables import Hamiltonian, parse_pauli  # noqa: F401
from .qasm import QasmError, from_qasm, to_qasm  # noqa: F401
from .registry import (  # noqa: F401
    UnknownMachineError,
    available_machines,
    get_machine,
    get_machine_class,
    register_machine,
)
