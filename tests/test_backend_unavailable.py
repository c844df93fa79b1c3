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


def test_to_cpu_of_device_data_without_vqnet_cpu(monkeypatch):
    """``to("cpu")`` of data on a device backend, where no ``cpu`` backend is installed, moves
    it to the host (``numpy``); host data stays where it is. The move is differentiable."""
    import vqnet_core as vq
    from vqnet_core.backend import Capabilities, register_backend
    from vqnet_core.backend import registry as reg
    from vqnet_core.backend.numpy_backend import NumpyBackend

    class FakeDevice(NumpyBackend):
        name = "spec-fake-device"
        capabilities = Capabilities(device="fake")

    register_backend(FakeDevice())
    real = reg.list_entry_points
    monkeypatch.setattr(reg, "list_entry_points",
                        lambda group: {k: v for k, v in real(group).items() if k != "cpu"})
    monkeypatch.delitem(reg._instances, "cpu", raising=False)
    t = vq.tensor([1.0, 2.0], requires_grad=True)
    assert t.to("cpu") is t
    d = t.to("spec-fake-device")
    assert d.device == "fake"
    h = d.to("cpu")
    assert h.backend == "numpy" and h.tolist() == [1.0, 2.0]
    (h * 2).sum().backward()
    assert t.grad.tolist() == [2.0, 2.0]
    with pytest.raises(vb.UnknownBackendError):
        d.to("no-such-backend")
