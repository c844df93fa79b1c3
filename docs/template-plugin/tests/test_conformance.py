"""Runs the shared conformance suite on this backend (``pytest tests`` in the plugin).

Installed (``pip install -e .[test]``), the backend is found through its entry point; from a
plain checkout it is registered in-process first, so the test needs no install.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parents[1]

RUN = """
import sys
sys.path.insert(0, {src!r})
from vqnet_core.backend import register_backend
from vqnet_mybackend import MyBackend
register_backend(MyBackend())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def run_suite(*args: str) -> subprocess.CompletedProcess:
    code = RUN.format(src=str(HERE / "src"))
    return subprocess.run(
        [sys.executable, "-c", code, "--pyargs", "vqnet_spec", "--vqnet-array", "mybackend",
         "--vqnet-xfails", str(HERE / "xfails.toml"), "--vqnet-strict-xfails", "-q",
         "-p", "no:cacheprovider", *args], capture_output=True, text=True, cwd=HERE)


def test_conformance():
    res = run_suite()
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
