"""W2 (benchmarks/w2_layered.py, WORKLOADS.md) as a PennyLane QNode (torch interface, adjoint)
on ``vqnet.statevector`` beside ``lightning.qubit`` (adjoint) and ``default.qubit``
(backprop): what a PennyLane user gains by changing one device string. The same inputs,
checksums and one-subprocess-per-implementation protocol as the main benchmark.

    python plugins/pennylane/bench_w2.py --n 12 16 --batch 16
    python plugins/pennylane/bench_w2.py --n 20 --batch 16 --only vqnet.statevector lightning
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import w2_layered as W  # noqa: E402  (the same W2 circuit, timing and checksums)


def make_vqnet_device(n, L, X, Wt):
    return W._pennylane("vqnet.statevector", "adjoint", n, L, X, Wt)


W.IMPLS = {"vqnet.statevector": ("PennyLane vqnet.statevector (adjoint)", make_vqnet_device),
           "lightning": W.IMPLS["lightning"], "default": W.IMPLS["default"]}
W.__file__ = __file__  # children re-run this script, which knows the extra implementation

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--only" not in argv:
        argv += ["--only", *W.IMPLS]
    W.main(argv)
