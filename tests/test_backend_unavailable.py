"""A backend that is installed but cannot run here (``BackendUnavailableError``, e.g. the GPU
backend without a device): the conformance suite skips its array tests with the reason, and
``vqnet info`` lists it as unavailable."""

from __future__ import annotations

import pytest

import vqnet_core.backend as vb
from vqnet_core.backend import BackendError, BackendUnavailableError

pytest_plugins = ["pytester"]
_QUIET = ("-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:benchmark", "-p", "no:xdist")
REASON = "no CUDA device here (test double); install a driver"


@pytest.fixture
def unavailable(monkeypatch):
    real = vb.get_backend

    def get_backend(name=None):
        if name == "spec-unavailable":
            raise BackendUnavailableError(REASON)
        return real(name)
    monkeypatch.setattr(vb, "get_backend", get_backend)
    return "spec-unavailable"


def test_error_class_is_a_backend_error():
    assert issubclass(BackendUnavailableError, BackendError)


def test_suite_skips_an_unavailable_backend(pytester, unavailable):
    res = pytester.runpytest_inprocess("--pyargs", "vqnet_spec.array.test_creation", *_QUIET,
                                       "--vqnet-array", unavailable, "-rs")
    out = res.stdout.str()
    assert res.ret == pytest.ExitCode.OK, out
    outcomes = res.parseoutcomes()
    assert outcomes.get("skipped", 0) > 5 and not outcomes.get("passed") \
        and not outcomes.get("failed"), out
    assert REASON in out and "is unavailable here" in out, out


def test_machine_suite_skips_when_its_backend_is_unavailable(pytester, monkeypatch):
    """``VQNET_BACKEND=gpu pytest --pyargs vqnet_spec --vqnet-machine statevector`` on a
    machine without a GPU: the machine tests skip with the reason."""
    real = vb.get_backend

    def get_backend(name=None):
        if name is None:
            raise BackendUnavailableError(REASON)
        return real(name)
    monkeypatch.setattr(vb, "get_backend", get_backend)
    res = pytester.runpytest_inprocess("--pyargs", "vqnet_spec.machine.test_basics", *_QUIET,
                                       "--vqnet-machine", "statevector", "-rs")
    out = res.stdout.str()
    assert res.ret == pytest.ExitCode.OK, out
    outcomes = res.parseoutcomes()
    assert outcomes.get("skipped", 0) > 5 and not outcomes.get("passed"), out
    assert REASON in out, out


def test_suite_still_rejects_an_unknown_backend(pytester, unavailable):
    res = pytester.runpytest_inprocess("--pyargs", "vqnet_spec.array.test_creation", *_QUIET,
                                       "--vqnet-array", "no-such-backend")
    assert res.ret == pytest.ExitCode.USAGE_ERROR


def test_info_lists_unavailable_backend(monkeypatch):
    from vqnet_core import cli
    from vqnet_core.backend.registry import EntryPointInfo

    class NoDevice:
        def __init__(self):
            raise BackendUnavailableError(REASON)

    monkeypatch.setattr(cli, "list_entry_points", lambda group: {
        "nodev": EntryPointInfo("nodev", "x:NoDevice", "vqnet-nodev", "0")})
    monkeypatch.setattr(cli, "load_entry_point", lambda group, name, what: NoDevice)
    row = cli._describe(cli.ARRAY_GROUP, "nodev", "array backend", True)
    assert row["status"] == f"unavailable: {REASON}"
