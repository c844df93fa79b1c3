"""The guide's worked examples stay true: the minimal machine in docs/writing-a-backend.md is
docs/examples/minimal_machine.py verbatim and passes the machine suite; the template plugin in
docs/template-plugin declares its entry point and passes the array suite."""

from __future__ import annotations

import importlib.util
import pathlib
import re
import sys
import tomllib

import pytest

from vqnet_core.backend import register_backend
from vqnet_core.quantum import register_machine

ROOT = pathlib.Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing-a-backend.md"
MACHINE = ROOT / "docs" / "examples" / "minimal_machine.py"
TEMPLATE = ROOT / "docs" / "template-plugin"
_QUIET = ("-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:benchmark", "-p", "no:xdist")

pytest_plugins = ["pytester"]


def _load(name: str, path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_guide_shows_the_minimal_machine_verbatim():
    text = GUIDE.read_text()
    m = re.search(r"<!-- docs/examples/minimal_machine.py -->\n```python\n(.*?)```", text,
                  re.S)
    assert m, "the guide must include docs/examples/minimal_machine.py after its marker"
    assert m.group(1) == MACHINE.read_text(), \
        "docs/writing-a-backend.md and docs/examples/minimal_machine.py differ: copy the file"


def test_minimal_machine_passes_the_machine_suite(pytester):
    mod = _load("vqnet_guide_minimal_machine", MACHINE)
    register_machine(mod.TinyMachine)
    res = pytester.runpytest_inprocess("--pyargs", "vqnet_spec.machine", "--vqnet-machine",
                                       "tiny", *_QUIET)
    out = res.stdout.str()
    outcomes = res.parseoutcomes()
    assert res.ret == pytest.ExitCode.OK, out
    assert outcomes.get("passed", 0) >= 40 and not outcomes.get("failed"), out


def test_template_declares_its_entry_point():
    data = tomllib.loads((TEMPLATE / "pyproject.toml").read_text())
    eps = data["project"]["entry-points"]["vqnet.array_backends"]
    assert eps == {"mybackend": "vqnet_mybackend:MyBackend"}
    assert (TEMPLATE / "xfails.toml").is_file()


@pytest.fixture
def template_backend():
    mod = _load("vqnet_mybackend", TEMPLATE / "src" / "vqnet_mybackend" / "__init__.py")
    register_backend(mod.MyBackend())
    return mod


def test_template_passes_the_array_suite(pytester, template_backend):
    # the kernels (incl. the stability cases its softmax-CE must pass), reductions and a
    # training run: the template's own tests/test_conformance.py runs the whole suite
    res = pytester.runpytest_inprocess(
        "--pyargs", "vqnet_spec.array.test_kernels", "vqnet_spec.array.test_reduction",
        "vqnet_spec.array.test_training", "--vqnet-array", "mybackend", "--vqnet-xfails",
        str(TEMPLATE / "xfails.toml"), "--vqnet-strict-xfails", *_QUIET)
    out = res.stdout.str()
    assert res.ret == pytest.ExitCode.OK, out
    assert "softmax_cross_entropy" in template_backend.MyBackend.capabilities.kernels


def test_template_own_conformance_test_runs_without_install():
    mod = _load("vqnet_template_conformance", TEMPLATE / "tests" / "test_conformance.py")
    res = mod.run_suite("-k", "test_kernel and softmax")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "array backend 'mybackend'" in res.stdout, res.stdout[-3000:]
