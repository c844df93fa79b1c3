"""The ``mpiexec`` command line that starts N copies of a Python program on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

__all__ = ["find_mpiexec", "mpiexec_command"]


def find_mpiexec() -> str | None:
    """The ``mpiexec`` to use: ``$VQNET_MPIEXEC``, else the one beside this Python (the MPICH
    wheel of ``vqnet[mpi]`` installs it there), else the first on ``PATH``; None if none."""
    env = os.environ.get("VQNET_MPIEXEC")
    if env:
        return env
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    return shutil.which("mpiexec")


def _is_open_mpi(exe: str) -> bool:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "open mpi" in (out.stdout + out.stderr).lower() or "open-mpi" in out.stdout.lower()


def mpiexec_command(n: int, mpiexec: str | None = None) -> list[str]:
    """``[mpiexec, -n, N]`` (plus ``--oversubscribe``, and ``--allow-run-as-root`` as root, for
    Open MPI, which refuses more ranks than cores and root without them; MPICH needs neither).
    Append ``sys.executable`` and the program's arguments.

    >>> from vqnet_core.distributed.launch import mpiexec_command, find_mpiexec
    >>> cmd = mpiexec_command(2, mpiexec="mpiexec")
    >>> cmd[1:3]
    ['-n', '2']
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of processes must be a positive int, got {n!r}")
    exe = mpiexec or find_mpiexec()
    if exe is None:
        raise FileNotFoundError("no mpiexec found: pip install 'vqnet[mpi]' (the MPICH wheel "
                                "brings one), or set VQNET_MPIEXEC to your MPI's launcher")
    cmd = [exe, "-n", str(n)]
    if shutil.which(exe) and _is_open_mpi(exe):
        cmd += ["--oversubscribe"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd += ["--allow-run-as-root"]
    return cmd
