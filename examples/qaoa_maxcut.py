"""QAOA for MaxCut on a small graph (6 nodes, 9 edges), compared with the brute-force optimum.

The cost C = sum over edges (1 - Z_i Z_j) / 2 counts the cut edges; p layers of
exp(-i gamma_l H_ZZ) (qaoa_cost_layer) and exp(-i beta_l sum X) (qaoa_mixer_layer) after
H on every qubit; Adam maximises <C>. The most likely bit string of the trained state is the
proposed cut.

    python examples/qaoa_maxcut.py              # p = 3, 100 steps
    python examples/qaoa_maxcut.py --epochs 5   # a smoke run
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared pieces in _common.py

import numpy as np  # noqa: E402
from _common import example_parser, progress_bar, save_curves  # noqa: E402

import vqnet_core as vq  # noqa: E402
from vqnet_core.optim import Adam  # noqa: E402
from vqnet_core.qnn import QuantumLayer, qaoa_cost_layer, qaoa_mixer_layer  # noqa: E402

N = 6
EDGES = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 4), (3, 4), (3, 5), (4, 5), (0, 5)]
ZZ = {f"Z{i} Z{j}": 1.0 for i, j in EDGES}


def cut_size(bits: Sequence[int]) -> int:
    return sum(bits[i] != bits[j] for i, j in EDGES)


def brute_force() -> tuple[int, list[tuple[int, ...]]]:
    """The maximum cut and every bit string reaching it."""
    cuts = {b: cut_size(b) for b in itertools.product((0, 1), repeat=N)}
    best = max(cuts.values())
    return best, [b for b, c in cuts.items() if c == best]


def make_circuit(p: int, measure: str):
    def circuit(q, x, w):
        for i in range(N):
            q.h(i)
        for layer in range(p):
            qaoa_cost_layer(q, w[0, layer], ZZ)
            qaoa_mixer_layer(q, w[1, layer])
        if measure == "cost":
            q.expval(ZZ)  # <sum Z_i Z_j>; <C> = (|E| - that) / 2
        else:
            q.probs()
    return circuit


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    ap = example_parser(__doc__, epochs=100, lr=0.05, epochs_help="optimisation steps",
                        limit_help="at most this many steps (smoke)")
    ap.add_argument("--layers", type=int, default=3, help="QAOA depth p")
    args = ap.parse_args(argv)
    steps = args.epochs if args.limit is None else min(args.epochs, args.limit)
    p = args.layers

    vq.manual_seed(args.seed)
    cost = QuantumLayer(make_circuit(p, "cost"), N, (2, p), diff_method="adjoint")
    with vq.no_grad():  # small angles: start near the uniform superposition
        cost.weights.copy_(vq.tensor(
            np.random.default_rng(args.seed).uniform(0.0, 0.3, (2, p))))
    print(f"graph: {N} nodes, edges {EDGES}")
    opt = Adam(cost.parameters(), lr=args.lr)
    hist: dict[str, list[float]] = {"expected_cut": []}
    t0 = time.perf_counter()
    bar = progress_bar(range(steps), args, "QAOA")
    for step in bar:
        opt.zero_grad()
        zz = cost().sum()
        (zz * 0.5).backward()  # minimising <ZZ> / 2 maximises <C> = |E| / 2 - <ZZ> / 2
        opt.step()
        expected = (len(EDGES) - float(zz)) / 2
        hist["expected_cut"].append(expected)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(cut=f"{expected:.4f}")
        if step % 20 == 0 or step == steps - 1:
            print(f"step {step + 1}: expected cut {expected:.4f}")
    secs = time.perf_counter() - t0

    # the trained angles on a probs circuit: the most likely bit strings
    probs_layer = QuantumLayer(make_circuit(p, "probs"), N, (2, p))
    probs_layer.load_state_dict(cost.state_dict())
    with vq.no_grad():
        pr = probs_layer().numpy()[0]
    top = int(np.argmax(pr))
    bits = tuple(int(c) for c in format(top, f"0{N}b"))  # wire 0 most significant
    best, optima = brute_force()
    p_opt = sum(pr[int("".join(map(str, b)), 2)] for b in optima)
    print(f"most likely cut {''.join(map(str, bits))} (probability {pr[top]:.3f}) cuts "
          f"{cut_size(bits)} of {len(EDGES)} edges; brute-force optimum {best} "
          f"({len(optima)} optimal strings, total probability {p_opt:.3f}); "
          f"expected cut {hist['expected_cut'][-1]:.4f}, ratio "
          f"{hist['expected_cut'][-1] / best:.3f} ({secs:.1f} s)")
    save_curves(hist, args, "qaoa_maxcut", f"QAOA MaxCut, p = {p}", what="training curve")
    return hist


if __name__ == "__main__":
    main()
