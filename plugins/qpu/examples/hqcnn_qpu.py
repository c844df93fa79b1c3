"""The paper's HQCNN (W1) trained on an emulated IBM device: the network of
``examples/hqcnn_mnist.py`` with its one-qubit layer (H, RY(x), <Z>) as a NoiseQuantumLayer on
``qpu.ibm_torino`` -- compiled onto the chip's best qubit, its calibrated gate noise and
readout error, ``--shots`` per evaluation, gradients by parameter shift on shots.

    python plugins/qpu/examples/hqcnn_qpu.py                        # 3 epochs, 1000 shots
    python plugins/qpu/examples/hqcnn_qpu.py --mitigation readout   # readout mitigated
    python plugins/qpu/examples/hqcnn_qpu.py --compare              # both, one after the other
    python plugins/qpu/examples/hqcnn_qpu.py --limit 64 --epochs 1  # a smoke run

The readout error (up to a few percent on ibm_torino's qubits) shrinks and shifts <Z>, which
the final Linear(1->2) learns to undo; mitigation inverts it on the shot estimates instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "examples"))  # hqcnn_mnist.py, _common.py

from _common import fit, parse_args  # noqa: E402
from hqcnn_mnist import DEFAULTS, DIGITS, HQCNN, hqcnn_circuit  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.qnn import NoiseQuantumLayer  # noqa: E402
from vqnet_core.quantum import get_machine  # noqa: E402


def run(args, mitigation: str | None) -> dict[str, list[float]]:
    vq.manual_seed(args.seed)  # the same initial weights for every run
    machine = get_machine(f"qpu.{args.device}", mitigation=mitigation)
    qlayer = NoiseQuantumLayer(hqcnn_circuit, 1, None, None, machine=machine,
                               shots=args.shots, seed=args.seed)
    c = qlayer.record(vq.zeros((1, 1))).build("float64")[0]
    cc = machine.compiled(c)
    q = cc.layout[0]
    cal = machine.device.qubits[q]
    print(f"qpu.{args.device}: the circuit runs on physical qubit {q} (readout p01 "
          f"{cal.p01:.4f}, p10 {cal.p10:.4f}; native {' '.join(o.name for o in cc.ops)}); "
          f"{args.shots} shots, readout mitigation: {mitigation or 'off'}")
    return fit(HQCNN(qlayer), args, f"hqcnn_qpu_{args.device}"
               + ("_mitigated" if mitigation else ""), digits=DIGITS)


def main(argv: list[str] | None = None) -> dict[str, dict[str, list[float]]]:
    extra = {"--shots": dict(type=int, default=1000, help="shots per evaluation"),
             "--device": dict(default="ibm_torino", help="an IBM fake backend (qpu.ibm_*)"),
             "--mitigation": dict(default=None, choices=["readout"],
                                  help="readout-error mitigation"),
             "--compare": dict(action="store_true",
                               help="train without and with readout mitigation")}
    args = parse_args(__doc__, argv, **{**DEFAULTS, "epochs": 3}, extra=extra)
    modes = [None, "readout"] if args.compare else [args.mitigation]
    return {str(m): run(args, m) for m in modes}


if __name__ == "__main__":
    main()
