"""The array-backend registry: selection, errors, and plugins that fail to import."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import vqnet_core as vq
from vqnet_core.backend import (
    ArrayBackend,
    BackendImportError,
    UnknownBackendError,
    get_backend,
    register_backend,
    set_backend,
)
from vqnet_core.backend.numpy_backend import NumpyBackend

REPO = Path(__file__).resolve().parents[2]


def run_py(code: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("VQNET_BACKEND", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


class Numpy2(NumpyBackend):
    """A second, distinguishable instance of the reference backend."""

    name = "numpy2"


def test_get_backend_default_and_by_name():
    b = get_backend()
    assert isinstance(b, ArrayBackend) and b.name == "numpy"
    assert get_backend("numpy") is b  # instances are cached
    assert get_backend(b) is b
    assert "numpy" in vq.available_backends()


def test_set_backend_and_context_manager():
    other = Numpy2()
    register_backend(other)
    try:
        with vq.backend("numpy2") as active:
            assert active is other and get_backend() is other
            t = vq.ones(2)
            assert t.backend == "numpy2"
            with vq.backend("numpy"):
                assert vq.zeros(1).backend == "numpy"
            assert get_backend() is other
        assert get_backend().name == "numpy"
        with pytest.raises(ValueError, match="different backends"):
            t + vq.ones(2)
        moved = t.to("numpy")
        assert moved.backend == "numpy" and (moved + vq.ones(2)).tolist() == [2.0, 2.0]
        x = vq.tensor([1.0, 2.0], requires_grad=True)
        (x.to("numpy2") * 3).sum().backward()  # gradient flows back across backends
        assert x.grad.tolist() == [3.0, 3.0] and x.grad.backend == "numpy"
        set_backend("numpy2")
        assert vq.ones(1).backend == "numpy2"
    finally:
        set_backend("numpy")
    assert vq.ones(1).backend == "numpy"


def test_unknown_backend_error_lists_installed_and_hint():
    with pytest.raises(UnknownBackendError) as ei:
        get_backend("no_such_engine")
    msg = str(ei.value)
    assert "no_such_engine" in msg and "installed: " in msg and "numpy" in msg
    assert "pip install" not in msg  # vqnet has no extra of that name: no hint that cannot work
    with pytest.raises(UnknownBackendError):
        set_backend("no_such_engine")
    with pytest.raises(UnknownBackendError):
        with vq.backend("no_such_engine"):
            pass
    assert get_backend().name == "numpy"


def test_vqnet_backend_environment_variable():
    r = run_py("""
        import vqnet_core as vq
        print(vq.get_backend().name, vq.ones(1).backend)
    """, {"VQNET_BACKEND": "numpy"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["numpy", "numpy"]
    r = run_py("""
        import vqnet_core as vq
        from vqnet_core.backend import UnknownBackendError
        try:
            vq.ones(1)
        except UnknownBackendError as e:
            print("ERR", e)
    """, {"VQNET_BACKEND": "nope"})
    assert r.returncode == 0, r.stderr  # importing works; the first use reports the bad name
    assert r.stdout.startswith("ERR") and "'nope'" in r.stdout


@pytest.fixture(scope="module")
def broken_dist(tmp_path_factory) -> Path:
    """A real (if tiny) installed distribution registering a plugin that cannot import."""
    root = tmp_path_factory.mktemp("site")
    info = root / "vqnet_broken_plugin-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: vqnet-broken-plugin\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(
        "[vqnet.array_backends]\n"
        "broken = nonexistent_module:Thing\n"
        "spy = vqnet_spy_plugin:Spy\n")
    # a plugin that would announce its import: listing must not import it
    (root / "vqnet_spy_plugin.py").write_text(
        "import sys\nsys.stderr.write('SPY IMPORTED\\n')\nSpy = None\n")
    (info / "RECORD").write_text("")
    return root


def test_broken_plugin_is_reported_not_fatal(broken_dist):
    r = run_py("""
        import sys
        import vqnet_core as vq
        from vqnet_core.backend import BackendImportError, available_backends
        names = available_backends()
        print("LIST", ",".join(names))
        assert "vqnet_spy_plugin" not in sys.modules and "nonexistent_module" not in sys.modules
        print("SUM", (vq.ones(2) + 1).tolist())
        try:
            vq.get_backend("broken")
        except BackendImportError as e:
            print("BROKEN", e)
    """, {"PYTHONPATH": str(broken_dist)})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "LIST " in out and "broken" in out and "spy" in out and "numpy" in out
    assert "SUM [2.0, 2.0]" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("BROKEN"))
    assert "'broken'" in line and "ModuleNotFoundError" in line and "nonexistent_module" in line
    assert "SPY IMPORTED" not in r.stderr


def test_broken_plugin_error_class_in_process():
    assert issubclass(BackendImportError, ImportError)
    assert issubclass(UnknownBackendError, ValueError)


def test_install_hints_name_only_extras_that_exist():
    from importlib import metadata

    from vqnet_core.backend.registry import install_hint

    extras = set(metadata.metadata("vqnet").get_all("Provides-Extra"))
    assert {"cpu", "qpanda", "plot", "all"} <= extras
    for extra in extras:
        hint = install_hint(extra)
        assert f'pip install "vqnet[{extra}]"' in hint
        assert f"python tools/install.py {extra}" in hint  # the way from a clone
    for absent in ("gpu", "qiskit", "no_such_engine"):
        if absent not in extras:
            assert install_hint(absent) == ""


def test_unknown_machine_and_missing_plugin_hint():
    from importlib import metadata

    from vqnet_core.quantum.registry import UnknownMachineError, get_machine

    installed = {ep.name for ep in metadata.entry_points(group="vqnet.machines")}
    if "qpanda.cpu" in installed:
        pytest.skip("vqnet-qpanda is installed")
    with pytest.raises(UnknownMachineError, match=r'vqnet\[qpanda\]".*tools/install.py qpanda'):
        get_machine("qpanda.cpu")


@pytest.fixture(scope="module")
def family_dist(tmp_path_factory) -> Path:
    """A tiny installed distribution registering a machine family ``toy.*`` (two devices
    named at run time) and a broken family ``brokenfam.*``."""
    root = tmp_path_factory.mktemp("famsite")
    info = root / "vqnet_toy_family-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: vqnet-toy-family\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(
        "[vqnet.machines]\n"
        "toy.* = vqnet_toy_family:FAMILY\n"
        "brokenfam.* = nonexistent_family_module:FAMILY\n")
    (info / "RECORD").write_text("")
    (root / "vqnet_toy_family.py").write_text(textwrap.dedent("""
        from vqnet_core.quantum.statevector import StatevectorMachine

        BUILT = []

        class _Family:
            def names(self):
                return ["toy.a", "toy.b"]

            def describe(self, name):
                return f"{name[4:]}: {len(name)} qubits"

            def machine_class(self, name):
                if name not in self.names():
                    raise KeyError(f"no toy device {name[4:]!r}")
                BUILT.append(name)
                return type("Toy_" + name[4:], (StatevectorMachine,), {"name": name})

        FAMILY = _Family()
        """))
    return root


def test_machine_family(family_dist):
    r = run_py("""
        import sys
        from vqnet_core.quantum import available_machines, get_machine, UnknownMachineError
        names = available_machines()
        print("LIST", ",".join(names))
        import vqnet_toy_family as fam
        print("BUILT0", fam.BUILT)                       # listing built no machine
        m = get_machine("toy.b")
        print("NAME", m.name, type(m).__name__, fam.BUILT)
        for bad in ("toy.zzz", "brokenfam.x"):
            try:
                get_machine(bad)
            except Exception as e:
                print("ERR", type(e).__name__, str(e).replace(chr(10), " "))
        from vqnet_core.cli import collect_info
        rows = {r["name"]: r["status"] for r in collect_info()["machines"]}
        print("INFO", rows["toy.a"], "|", rows["brokenfam.*"][:40])
    """, {"PYTHONPATH": str(family_dist)})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    listed = next(ln for ln in out.splitlines() if ln.startswith("LIST")).split()[1].split(",")
    assert {"toy.a", "toy.b", "statevector"} <= set(listed)
    assert not any(n.endswith(".*") for n in listed)
    assert "BUILT0 []" in out
    assert "NAME toy.b Toy_b ['toy.b']" in out
    errs = [ln for ln in out.splitlines() if ln.startswith("ERR")]
    assert "UnknownMachineError" in errs[0] and "no toy device 'zzz'" in errs[0]
    assert "toy.a" in errs[0]  # the error lists the family's names
    assert "nonexistent_family_module" in errs[1]
    assert "INFO zzz" not in out and "INFO a: 5 qubits | import failed" in out
