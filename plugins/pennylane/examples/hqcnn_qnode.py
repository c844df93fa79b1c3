"""The paper's HQCNN on MNIST 0/1 (``examples/hqcnn_mnist.py``) with its quantum node written
as a PennyLane QNode: H, RY(x), <Z> on ``vqnet.statevector`` (adjoint derivatives), wrapped by
``PennyLaneLayer``. The same loop, data and protocol as the core example (>= 99 % on test).

    python plugins/pennylane/examples/hqcnn_qnode.py                   # QNode on vqnet.statevector
    python plugins/pennylane/examples/hqcnn_qnode.py --device default.qubit
    python plugins/pennylane/examples/hqcnn_qnode.py --machine statevector  # converted to the IR
    python plugins/pennylane/examples/hqcnn_qnode.py --limit 64 --epochs 1  # a smoke run
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "examples"))  # the core example's network and loop

import pennylane as qml  # noqa: E402
from _common import fit, parse_args  # noqa: E402
from hqcnn_mnist import DEFAULTS, DIGITS, HQCNN  # noqa: E402
from vqnet_pennylane.layers import PennyLaneLayer  # noqa: E402

import vqnet_core as vq  # noqa: E402


def make_qnode(device: str = "vqnet.statevector"):
    dev = qml.device(device, wires=1)

    @qml.qnode(dev, diff_method="adjoint" if device.startswith("vqnet") else "best")
    def circuit(inputs):
        qml.Hadamard(0)
        qml.RY(inputs[..., 0], wires=0)
        return qml.expval(qml.Z(0))
    return circuit


def main(argv: list[str] | None = None):
    argv = list(sys.argv[1:] if argv is None else argv)
    opts = {}
    for key in ("--device", "--machine"):
        if key in argv:
            i = argv.index(key)
            opts[key[2:]] = argv[i + 1]
            del argv[i:i + 2]
    args = parse_args(__doc__, argv, **DEFAULTS)
    vq.manual_seed(args.seed)
    layer = PennyLaneLayer(make_qnode(opts.get("device", "vqnet.statevector")), {},
                           machine=opts.get("machine"))
    model = HQCNN(quantum=layer)
    return fit(model, args, "hqcnn_qnode", digits=DIGITS)


if __name__ == "__main__":
    main()
