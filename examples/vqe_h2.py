"""VQE for the hydrogen molecule: the ground-state energy of H2 at bond length 0.735 A.

The STO-3G electronic Hamiltonian under the Jordan-Wigner mapping (4 spin orbitals: qubits 0, 1
spin up, 2, 3 spin down), written out as a Pauli sum; no chemistry package needed. The ansatz
starts from the Hartree-Fock state |1010> and applies the particle-conserving Givens rotations
SingleExcitation (0,1), (2,3) and DoubleExcitation; Adam minimises <H>.

    python examples/vqe_h2.py                 # 100 steps: error about 1e-8 Ha
    python examples/vqe_h2.py --epochs 5      # a smoke run

Prints the energy every step, the exact ground energy (dense diagonalisation of the same
Hamiltonian) and the error, and saves the energy curve to ``--out`` (default ``./runs/``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared pieces in _common.py

import numpy as np  # noqa: E402
from _common import example_parser, progress_bar, save_curves  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.optim import Adam  # noqa: E402
from vqnet_core.qnn import BasisEmbeddingCircuit, QuantumLayer  # noqa: E402
from vqnet_core.quantum import Hamiltonian  # noqa: E402

# H2, STO-3G, R = 0.735 A: electronic part (Jordan-Wigner), in Hartree
H2_ELECTRONIC = {
    "": -0.8105479805373266,
    "Z0": 0.1721839326191554, "Z1": -0.22575349222402372,
    "Z2": 0.17218393261915543, "Z3": -0.2257534922240237,
    "Z0 Z1": 0.12091263261776627, "Z0 Z2": 0.16892753870087907,
    "Z0 Z3": 0.1661454325638241, "Z1 Z2": 0.1661454325638241,
    "Z1 Z3": 0.17464343068300453, "Z2 Z3": 0.12091263261776627,
    "X0 X1 X2 X3": 0.045232799946057826, "Y0 Y1 Y2 Y3": 0.045232799946057826,
    "X0 X1 Y2 Y3": 0.045232799946057826, "Y0 Y1 X2 X3": 0.045232799946057826,
}
NUCLEAR_REPULSION = 0.7199689944489797  # 1 / R in Hartree, R = 0.735 A
REFERENCE_ENERGY = -1.1373060357533999  # FCI total energy at this geometry (Ha)


def ansatz(q, x, w):
    """Hartree-Fock |1010> (one electron per spin in orbital 0), then Givens rotations."""
    BasisEmbeddingCircuit(q, [1, 0, 1, 0])
    q.single_excitation([0, 1], w[0])
    q.single_excitation([2, 3], w[1])
    # |w1 w3 w0 w2> = |0011> (HF) <-> |1100> (both electrons excited)
    q.double_excitation([1, 3, 0, 2], w[2])
    q.expval(H2_ELECTRONIC)


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    ap = example_parser(__doc__, epochs=100, lr=0.02, epochs_help="optimisation steps",
                        limit_help="at most this many steps (smoke)")
    args = ap.parse_args(argv)
    steps = args.epochs if args.limit is None else min(args.epochs, args.limit)

    vq.manual_seed(args.seed)
    layer = QuantumLayer(ansatz, 4, 3, diff_method="adjoint")
    with vq.no_grad():  # start near Hartree-Fock: small random angles
        layer.weights.copy_(vq.tensor(np.random.default_rng(args.seed).uniform(-0.1, 0.1, 3)))
    print(layer.draw(symbolic=True))
    opt = Adam(layer.parameters(), lr=args.lr)
    exact = float(np.linalg.eigvalsh(Hamiltonian.from_any(H2_ELECTRONIC).matrix(4))[0]
                  + NUCLEAR_REPULSION)
    hist: dict[str, list[float]] = {"energy": [], "energy_error": []}
    t0 = time.perf_counter()
    bar = progress_bar(range(steps), args, "VQE")
    for step in bar:
        opt.zero_grad()
        e = layer().sum()  # electronic energy
        e.backward()
        opt.step()
        total = float(e) + NUCLEAR_REPULSION
        hist["energy"].append(total)
        hist["energy_error"].append(abs(total - exact))
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(energy=f"{total:.6f}")
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step + 1}: energy {total:.8f} Ha")
    with vq.no_grad():
        final = float(layer().sum()) + NUCLEAR_REPULSION
    print(f"VQE energy {final:.8f} Ha, exact ground energy {exact:.8f} Ha "
          f"(FCI reference {REFERENCE_ENERGY:.6f}); error {abs(final - exact):.2e} Ha "
          f"after {steps} steps ({time.perf_counter() - t0:.1f} s)")
    print(f"angles: {np.round(layer.weights.numpy(), 5).tolist()}")
    save_curves({"energy": hist["energy"]}, args, "vqe_h2", "VQE, H2 at 0.735 A (Ha)",
                what="energy curve")
    return hist


if __name__ == "__main__":
    main()
