"""The conformance suite itself: it passes on NumPy, fails on a broken backend, and reports
expected-failure entries that match nothing."""

from __future__ import annotations

import numpy as np
import pytest

from vqnet_core.backend import register_backend
from vqnet_core.backend.numpy_backend import NumpyBackend

pytest_plugins = ["pytester"]


class BrokenAddBackend(NumpyBackend):
    """NumPy, except that ``add`` is off by one: the suite must notice."""

    name = "spec-broken-add"

    def binary(self, op, a, b):
        out = super().binary(op, a, b)
        return np.asarray(out + 1).astype(out.dtype) if op == "add" else out


@pytest.fixture
def broken():
    register_backend(BrokenAddBackend())
    return BrokenAddBackend.name


def _run(pytester, *args, target="vqnet_spec.array.test_elementwise"):
    # the unrelated plugins only slow each inner session down
    return pytester.runpytest_inprocess("--pyargs", target, *_QUIET, *args)


_QUIET = ("-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:benchmark", "-p", "no:xdist")


def test_suite_fails_for_a_broken_backend(pytester, broken):
    res = _run(pytester, "--vqnet-array", broken, "-k", "test_binary and add-float64")
    out = res.stdout.str()
    assert res.ret == pytest.ExitCode.TESTS_FAILED, out
    assert res.parseoutcomes().get("failed", 0) >= 2, out
    assert "B.binary('add') on float64" in out and "differ from the NumPy reference" in out


def test_broken_backend_fails_training_and_promotion(pytester, broken):
    res = _run(pytester, "--vqnet-array", broken, "-k",
               "mlp_trains or test_promotion_tensor_tensor and add-float32-float64",
               target="vqnet_spec.array")
    out = res.stdout.str()
    assert res.ret == pytest.ExitCode.TESTS_FAILED, out
    assert res.parseoutcomes().get("failed", 0) == 2, out
    assert "training accuracy" in out or "loss went from" in out, out


def test_xfail_file_marks_and_reports_unmatched(pytester, broken):
    xf = pytester.makefile(".toml", xfails='''
        # the add kernel is broken on purpose
        test_binary[add = "add is off by one"
        "array/test_elementwise.py::test_where[float64]" = "passes, so strict xfail fails"
        test_no_such_test = "matches nothing"
    ''')
    args = ("--vqnet-array", broken, "--vqnet-xfails", str(xf), "-k",
            "test_binary and not scalar and add-float or test_where and float64")
    res = _run(pytester, *args)
    out = res.stdout.str()
    outcomes = res.parseoutcomes()
    assert outcomes.get("xfailed", 0) >= 2, out
    assert outcomes.get("failed", 0) == 1, out  # test_where[float64]: XPASS(strict)
    assert "UNMATCHED 'test_no_such_test'" in out, out
    assert "--vqnet-strict-xfails" not in out


def test_strict_xfails_fail_the_session(pytester):
    xf = pytester.makefile(".toml", xfails='test_no_such_test = "matches nothing"\n')
    res = _run(pytester, "--vqnet-xfails", str(xf), "--vqnet-strict-xfails", "-k",
               "test_where and float32")
    out = res.stdout.str()
    assert res.parseoutcomes().get("passed", 0) == 1, out
    assert res.ret == pytest.ExitCode.TESTS_FAILED, out
    assert "UNMATCHED" in out and "--vqnet-strict-xfails" in out


def test_hook_xfails(pytester, broken):
    from vqnet_core.hooks import hookimpl, plugin_manager

    class Plugin:
        @hookimpl
        def vqnet_conformance_xfails(self, kind, name):
            if kind == "array" and name == broken:
                return {"test_binary[add-float64]": "known broken add",
                        "test_hook_unmatched": "nothing has this name"}
            return None

    pm = plugin_manager()
    plugin = Plugin()
    pm.register(plugin)
    try:
        res = _run(pytester, "--vqnet-array", broken, "-k",
                   "test_binary and not scalar and add-float64")
    finally:
        pm.unregister(plugin)
    out = res.stdout.str()
    assert res.parseoutcomes().get("xfailed", 0) == 1, out
    assert res.ret == pytest.ExitCode.OK, out
    assert "UNMATCHED 'test_hook_unmatched'" in out and "vqnet_conformance_xfails hook" in out


def test_unknown_backend_is_a_usage_error(pytester):
    res = _run(pytester, "--vqnet-array", "no-such-backend")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown array backend 'no-such-backend'" in res.stderr.str()


def test_machine_option_deselects_array_tests(pytester):
    """A machine run reports only machine tests: array modules named explicitly are
    deselected (not skipped), and the package's array half is not even collected."""
    res = _run(pytester, "--vqnet-machine", "statevector", "-k", "test_where and float32")
    out = res.stdout.str()
    outcomes = res.parseoutcomes()
    assert outcomes.get("skipped", 0) == 0 and outcomes.get("deselected", 0) > 0, out
    assert "tests of the other half of the suite deselected" in out
    res = _run(pytester, "--vqnet-machine", "statevector", "--collect-only", "-q",
               target="vqnet_spec")
    out = res.stdout.str()
    # the listing's format follows the verbosity an ini file upward of the package may add
    # (-q: node ids, -qq: "file: count"), so match the file name only
    assert "machine/test_machine.py" in out and "array/" not in out, out
    res = _run(pytester, "--collect-only", "-q", target="vqnet_spec")
    out = res.stdout.str()
    assert "array/test_elementwise.py" in out and "machine/" not in out, out


def test_plugin_is_inert_elsewhere(pytester):
    pytester.makepyfile("def test_plain():\n    assert True\n")
    res = pytester.runpytest_inprocess(*_QUIET)
    res.assert_outcomes(passed=1)
    assert "vqnet-spec:" not in res.stdout.str()


def test_xfails_parser():
    from vqnet_spec.xfails import XfailFormatError, matches, parse_xfails

    got = parse_xfails('a[b = "r1"  # c\n"x::y[1-2]" = \'r2\'\n\n# only a comment\n')
    assert got == {"a[b": "r1", "x::y[1-2]": "r2"}
    with pytest.raises(XfailFormatError, match=r"<string>:1: the reason must be a quoted"):
        parse_xfails("test_x = not quoted")
    with pytest.raises(XfailFormatError, match=r"expected `test-id = \"reason\"`"):
        parse_xfails("just words")
    assert matches("test_unary", "test_unary[exp-float32]")
    assert not matches("test_unary", "test_unary_nan_inf[exp-float32]")
    assert matches("array/test_elementwise.py::", "array/test_elementwise.py::test_where[bool]")
