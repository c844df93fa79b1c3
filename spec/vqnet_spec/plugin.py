"""The pytest plugin of the VQNet conformance suite (entry point ``pytest11: vqnet_spec``).

Installed with ``vqnet-spec``, it is loaded into every pytest run, so it stays inert unless
asked: its options only act when given, its fixtures are named ``vqnet_*``, and it only marks
tests that live inside the ``vqnet_spec`` package. Usage::

    pytest --pyargs vqnet_spec                               # array tests on "numpy"
    pytest --pyargs vqnet_spec --vqnet-array cpu --vqnet-xfails plugins/cpu/xfails.toml
    pytest --pyargs vqnet_spec --vqnet-machine statevector   # quantum-machine tests
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .xfails import XfailSet, load_xfails_file

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_ARRAY = "numpy"
_STATE = pytest.StashKey["_State"]()


class _State:
    """What one session knows: the backends under test and the expected failures."""

    def __init__(self, array: str | None, machine: str | None, strict: bool) -> None:
        self.array = array
        self.machine = machine
        self.strict = strict
        self.sets: list[tuple[str | None, XfailSet]] = []  # (kind or None for all, entries)
        self.suite_items = 0
        self.xfailed_items = 0
        self.deselected_items = 0
        self.unavailable: str | None = None  # why the array backend cannot run here
        self.machine_unavailable: str | None = None  # why the machines' backend cannot


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("vqnet-spec", "VQNet conformance suite")
    g.addoption("--vqnet-array", metavar="NAME", default=None,
                help="array backend the vqnet_spec array tests run on (default: numpy, "
                     "unless only --vqnet-machine is given)")
    g.addoption("--vqnet-machine", metavar="NAME", default=None,
                help="quantum machine the vqnet_spec machine tests run on")
    g.addoption("--vqnet-xfails", metavar="PATH", default=None,
                help='file of expected failures, lines of `test-id-or-prefix = "reason"`')
    g.addoption("--vqnet-strict-xfails", action="store_true", default=False,
                help="fail the session when an expected-failure entry matches no test")


def pytest_configure(config: pytest.Config) -> None:
    array = config.getoption("--vqnet-array")
    machine = config.getoption("--vqnet-machine")
    if array is None and machine is None:
        array = DEFAULT_ARRAY
    state = _State(array, machine, config.getoption("--vqnet-strict-xfails"))
    config.stash[_STATE] = state
    path = config.getoption("--vqnet-xfails")
    if path:
        try:
            entries = load_xfails_file(path)
        except (OSError, ValueError) as exc:
            raise pytest.UsageError(f"vqnet-spec: {exc}") from None
        s = XfailSet()
        s.add(entries, f"file {path}")
        state.sets.append((None, s))


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash[_STATE]
    if session.config.getoption("--vqnet-array") is None:
        if state.machine is not None:  # the machine runs on the default (VQNET_BACKEND) backend
            from vqnet_core.backend import get_backend
            try:
                get_backend()
            except Exception as exc:
                if not _is_unavailable(exc):
                    raise
                state.machine_unavailable = str(exc)
        return
    from vqnet_core.backend import get_backend

    try:
        get_backend(state.array)
    except Exception as exc:  # unknown or broken backend: say so once, up front
        if _is_unavailable(exc):  # installed but not on this machine: every array test skips
            state.unavailable = str(exc)
            return
        raise pytest.UsageError(f"vqnet-spec: --vqnet-array {state.array}: "
                                f"{type(exc).__name__}: {exc}") from None


def _is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` is the core's ``BackendUnavailableError`` (no device, no driver...)."""
    try:
        from vqnet_core.backend import BackendUnavailableError
    except ImportError:  # a core older than the error class
        return False
    return isinstance(exc, BackendUnavailableError)


def _unavailable_reason(name: str, text: str) -> str:
    """The skip reason of an unavailable backend's tests (its error names it, or we do)."""
    return text if repr(name) in text else f"array backend {name!r} is unavailable here: {text}"


def _kind_under_test(state: _State, kind: str) -> bool:
    """Whether the ``array`` / ``machine`` half of the suite runs in this session."""
    return (state.array if kind == "array" else state.machine) is not None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The half of the suite not under test is not collected at all (a machine run reports
    only machine tests, an array run only array tests)."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    try:
        rel = Path(str(collection_path)).resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return None
    if _other_half(state, rel.as_posix()):
        return True
    return None


def _other_half(state: _State, path: str) -> bool:
    """Whether ``path`` (inside vqnet_spec) is a test module of the half not under test
    (doctests and helper modules are left alone)."""
    kind, _, rest = path.partition("/")
    return (kind in ("array", "machine") and not _kind_under_test(state, kind)
            and rest.rsplit("/", 1)[-1].startswith("test_"))


def suite_path(item: pytest.Item) -> str | None:
    """The item's module path inside the vqnet_spec package (``array/test_x.py``), or None."""
    try:
        rel = Path(str(item.path)).resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return None
    return rel.as_posix()


def _hook_xfails(kind: str, name: str) -> list[dict[str, str]]:
    from vqnet_core.hooks import plugin_manager

    try:
        answers = plugin_manager().hook.vqnet_conformance_xfails(kind=kind, name=name)
    except Exception as exc:
        raise pytest.UsageError(f"vqnet-spec: a vqnet.hooks plugin failed while listing "
                                f"expected failures for {kind} {name!r}: "
                                f"{type(exc).__name__}: {exc}") from None
    return [a for a in answers if a]


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselection: entries match any collected test
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[_STATE]
    ours = [(it, suite_path(it)) for it in items]
    ours = [(it, p) for it, p in ours if p is not None]
    if not ours:
        return
    # modules of the other half named explicitly (``--pyargs vqnet_spec.array.x`` in a machine
    # run) are collected despite pytest_ignore_collect: deselect them, never skip them
    other = [it for it, p in ours if _other_half(state, p)]
    if other:
        drop = set(map(id, other))
        items[:] = [it for it in items if id(it) not in drop]
        ours = [(it, p) for it, p in ours if id(it) not in drop]
        config.hook.pytest_deselected(items=other)
        state.deselected_items += len(other)
    state.suite_items = len(ours)
    for kind, name in (("array", state.array), ("machine", state.machine)):
        if name is None:
            continue
        for answer in _hook_xfails(kind, name):
            s = XfailSet()
            s.add(answer, f"vqnet_conformance_xfails hook ({kind} {name!r})")
            state.sets.append((kind, s))
    for kind, why, name in (("array", state.unavailable, state.array),
                            ("machine", state.machine_unavailable,
                             os.environ.get("VQNET_BACKEND", "numpy"))):
        if why is not None:
            skip = pytest.mark.skip(reason=_unavailable_reason(name, why))
            for item, path in ours:
                if path.split("/", 1)[0] == kind:
                    item.add_marker(skip)
    for item, path in ours:
        kind = path.split("/", 1)[0]
        ids = (item.name, f"{path}::{item.name}")
        hit = None
        for k, s in state.sets:
            if k is None or k == kind:
                e = s.lookup(ids)
                hit = hit or e
        if hit is not None:
            state.xfailed_items += 1
            item.add_marker(pytest.mark.xfail(reason=f"{hit.reason} [{hit.source}]",
                                              strict=True))


def _unmatched(state: _State) -> list[Any]:
    return [e for _, s in state.sets for e in s.unmatched()]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or (not state.suite_items and not state.sets
                         and not state.deselected_items):
        return
    tr = terminalreporter
    what = []
    if state.array:
        what.append(f"array backend {state.array!r}")
    if state.machine:
        what.append(f"machine {state.machine!r}")
    tr.write_line(f"vqnet-spec: {' and '.join(what)}; {state.suite_items} suite tests, "
                  f"{state.xfailed_items} marked as expected failures")
    if state.deselected_items:
        tr.write_line(f"vqnet-spec: {state.deselected_items} tests of the other half of the "
                      "suite deselected (pass --vqnet-array / --vqnet-machine to run them)")
    bad = _unmatched(state)
    if state.unavailable is not None:
        tr.write_line(f"vqnet-spec: array backend {state.array!r} is unavailable here, its "
                      f"tests skip: {state.unavailable}", yellow=True)
    if state.machine_unavailable is not None:
        tr.write_line("vqnet-spec: the machines' array backend (VQNET_BACKEND) is unavailable "
                      f"here, the machine tests skip: {state.machine_unavailable}", yellow=True)
    if bad and state.unavailable is None and state.machine_unavailable is None:
        tr.write_sep("=", "vqnet-spec: expected-failure entries that match no test",
                     yellow=True)
        for e in bad:
            tr.write_line(f"UNMATCHED {e.pattern!r} ({e.reason}) from {e.source}")
        if state.strict:
            tr.write_line("--vqnet-strict-xfails: the session fails because of these entries",
                          red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if (state is not None and state.unavailable is None and state.machine_unavailable is None
            and state.strict and _unmatched(state) and exitstatus == 0):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def vqnet_array_name(pytestconfig: pytest.Config) -> str:
    """The name of the array backend under test."""
    name = pytestconfig.stash[_STATE].array
    if name is None:
        pytest.skip("no array backend under test (pass --vqnet-array NAME)")
    return name


@pytest.fixture(scope="session")
def vqnet_backend(vqnet_array_name: str) -> Any:
    """The array backend object under test (``vqnet_core.backend.get_backend(NAME)``)."""
    from vqnet_core.backend import get_backend

    try:
        return get_backend(vqnet_array_name)
    except Exception as exc:
        if _is_unavailable(exc):
            pytest.skip(_unavailable_reason(vqnet_array_name, str(exc)))
        raise


@pytest.fixture(scope="session")
def vqnet_machine_name(pytestconfig: pytest.Config) -> str:
    """The name of the quantum machine under test."""
    name = pytestconfig.stash[_STATE].machine
    if name is None:
        pytest.skip("no quantum machine under test (pass --vqnet-machine NAME)")
    return name


@pytest.fixture(scope="session")
def vqnet_machine(vqnet_machine_name: str) -> Any:
    """The quantum machine under test, from the registry in ``vqnet_core.quantum``.

    A machine whose default results are deliberately not the ideal ones (an emulated noisy
    QPU) names in ``capabilities.extra["conformance_options"]`` the options that make its
    distribution exact (``{"noise": False}``); the suite runs the machine built with them
    (every other step of its pipeline -- compilation, routing, sampling -- is unchanged), and
    the plugin's own tests check the noise."""
    try:
        import vqnet_core.quantum as quantum
    except ImportError as exc:
        pytest.skip(f"the quantum-machine registry vqnet_core.quantum is not importable yet "
                    f"({exc})")
    get_machine = getattr(quantum, "get_machine", None)
    if get_machine is None:
        pytest.skip("the quantum-machine registry vqnet_core.quantum.get_machine does not "
                    "exist yet")
    machine = get_machine(vqnet_machine_name)
    options = getattr(machine.capabilities, "extra", {}).get("conformance_options")
    return get_machine(vqnet_machine_name, **options) if options else machine
