"""The plugin's answer to ``vqnet_conformance_xfails``: real QPanda limitations, per machine.

The same entries are listed, with the same reasons, in ``plugins/qpanda/xfails/<machine>.toml``
for ``--vqnet-xfails``.
"""

from __future__ import annotations

from vqnet_core.hooks import hookimpl

#: machine name -> {test id: reason}
XFAILS: dict[str, dict[str, str]] = {
    "qpanda.noise": {
        "test_shots_are_seeded_and_unbiased": (
            "QPanda's noisy CPUQVM draws its own shots (Monte-Carlo trajectories) and its "
            "sampler takes no seed, so equal seeds do not give equal results"),
        "test_same_seed_same_shots": (
            "QPanda's noisy CPUQVM draws its own shots and takes no seed: the seed only "
            "orders QPanda's shots, so equal seeds do not give equal samples"),
    },
    "qpanda.partial_amplitude": {
        "test_random_circuit_batch": (
            "PartialAmplitudeQVM sums over 2^k paths for k two-qubit gates across its cut; "
            "this dense 30-gate 4-qubit circuit needs about 2^47 (hours), so the machine "
            "refuses it with a MachineError (limit: max_cut_bits, 2^16 by default)"),
    },
    "qpanda.stabilizer": {
        "test_errors": (
            "the test checks the NaN-angle error on an RX circuit; QPanda's Stabilizer is "
            "Clifford-only, so RX is refused first (with an UnsupportedError naming it)"),
        "test_same_seed_same_shots": (
            "QPanda's Stabilizer draws its own shots and takes no seed: the seed only orders "
            "QPanda's shots, so equal seeds do not give equal samples"),
    },
}


@hookimpl
def vqnet_conformance_xfails(kind: str, name: str) -> dict[str, str] | None:
    """Expected conformance failures of the ``qpanda.*`` machines."""
    if kind != "machine":
        return None
    return dict(XFAILS.get(name, {})) or None
