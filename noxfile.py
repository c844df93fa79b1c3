"""Every developer and CI task of VQNet.

    nox -s ci                 # what CI runs (the README's test command)
    nox -s tests-3.11         # the core's tests (3.11 adds the PyTorch parity tests)
    nox -s conformance        # the conformance suite for every backend and machine found
    nox -s lint examples bench wheels
    nox -s distributed        # vqnet_core.distributed under mpiexec -n 2 (MPICH wheel)
    nox -s asan               # vqnet-cpu's tests and conformance under AddressSanitizer
    nox -s pyvqnet_oracle     # the pyvqnet compatibility layer against the real pyvqnet
    nox -s qpu_all            # the conformance suite for every qpu.* device (not in ci)

Plugins add themselves: the entry points a ``plugins/<name>/pyproject.toml`` declares in the
groups ``vqnet.array_backends`` and ``vqnet.machines`` become rows of the conformance matrix.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import tomllib

import nox

ROOT = pathlib.Path(__file__).parent
PYTHONS = ["3.11", "3.12", "3.13"]
TORCH_PYTHON = "3.11"  # the PyTorch 2.13 CPU wheel on these machines is cp311
CI_PYTHON = "3.11"
TEST_DEPS = ["pytest>=8", "hypothesis>=6", "matplotlib>=3.7", "pytest-timeout>=2.2"]
# A test stuck inside a foreign C library fails the run instead of hanging CI; the thread
# method works even where a signal handler would never run.
TIMEOUT = ["--timeout=600", "--timeout-method=thread"]

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = False
# Under CI a Python that is not on PATH fails the run; by hand its sessions are skipped and the
# `ci` run ends by saying so (session `report`).
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
nox.options.error_on_missing_interpreters = IN_CI


def _select_pyenv_versions() -> None:
    """Where pyenv manages the interpreters, add the newest installed patch release of each
    version of the matrix to the selected ones, so that its ``pythonX.Y`` shim starts. (pyenv's
    shim sets PYENV_VERSION for the Python it runs, so the versions already there stay first.)"""
    if not shutil.which("pyenv"):
        return
    try:
        run = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True,
                             timeout=60, check=True)
        current = os.environ.get("PYENV_VERSION") or subprocess.run(
            ["pyenv", "version-name"], capture_output=True, text=True, timeout=60,
            check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    installed = [v.strip() for v in run.stdout.split() if v.strip()[:1].isdigit()]
    chosen = [c for c in current.split(":") if c and c != "system"]
    for want in PYTHONS:
        if any(c == want or c.startswith(want + ".") for c in chosen):
            continue
        found = [v for v in installed if v.startswith(want + ".") and v.replace(".", "").isdigit()]
        if found:
            chosen.append(max(found, key=lambda v: tuple(int(x) for x in v.split("."))))
    if chosen:
        os.environ["PYENV_VERSION"] = ":".join(chosen)


_select_pyenv_versions()


def _targets() -> list[tuple[str, str, str | None]]:
    """(kind, name, plugin folder) for every array backend and machine in the repository."""
    core = ROOT / "pyproject.toml"
    found: list[tuple[str, str, str | None]] = []
    for pp in [core, *sorted(ROOT.glob("plugins/*/pyproject.toml"))]:
        data = tomllib.loads(pp.read_text())
        folder = None if pp == core else str(pp.parent.relative_to(ROOT))
        eps = data.get("project", {}).get("entry-points", {})
        for name in eps.get("vqnet.array_backends", {}):
            found.append(("array", name, folder))
        for name in eps.get("vqnet.machines", {}):
            if not name.endswith(".*"):  # a machine family (qpu.*): its members run by name
                found.append(("machine", name, folder))
    return found


TARGETS = _targets()


PLUGINS = sorted({folder for _, _, folder in TARGETS if folder} |
                 {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("plugins/*/pyproject.toml")})


def _install_core(session: nox.Session, *more: str) -> None:
    session.install(".", "./spec", *TEST_DEPS, *more)


def _local_deps(folder: str) -> list[str]:
    """The repository's plugins that plugin ``folder`` depends on (vqnet-qpu builds on
    vqnet-qiskit), as ``./plugins/<name>``: installed from the tree, not the index."""
    local = {tomllib.loads(pp.read_text())["project"]["name"].lower().replace("_", "-"):
             f"./{pp.parent.relative_to(ROOT)}" for pp in ROOT.glob("plugins/*/pyproject.toml")}
    deps = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"].get(
        "dependencies", [])
    names = [d.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower()
             for d in deps]
    return [local[n] for n in names if n in local]


def _suite_args(kind: str, name: str, folder: str | None) -> list[str]:
    """Arguments of one conformance run, with the plugin's expected-failures file if it has one."""
    args = ["--pyargs", "vqnet_spec", f"--vqnet-{kind}", name, "-p", "no:cacheprovider", *TIMEOUT]
    xfails = ROOT / folder / "xfails.toml" if folder else None
    if xfails is not None and xfails.exists():
        args += ["--vqnet-xfails", str(xfails)]
    return args


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The core's own tests (examples' smoke runs excluded)."""
    # PyTorch (an oracle) and the original pyqpanda API (the paper's code, vqnet_core.compat)
    # have cp311 wheels only
    extra = ["torch==2.13.0", "pyqpanda==3.8.5"] if session.python == TORCH_PYTHON else []
    _install_core(session, *extra)
    session.chdir(session.create_tmp())  # import the installed package, not the tree
    session.run("pytest", str(ROOT / "tests"), "-m", "not examples", "-p", "no:cacheprovider",
                *TIMEOUT, *session.posargs)
    # the examples in the docstrings of the public API
    session.run("pytest", "--doctest-modules", "--pyargs", "vqnet_core", "-p", "no:cacheprovider",
                *TIMEOUT)


@nox.session(python=PYTHONS)
@nox.parametrize("target", [nox.param(t, id=f"{t[0]}:{t[1]}") for t in TARGETS])
def conformance(session: nox.Session, target: tuple[str, str, str | None]) -> None:
    """``pytest --pyargs vqnet_spec`` against one array backend or machine."""
    kind, name, folder = target
    _install_core(session, *(_local_deps(folder) + [f"./{folder}"] if folder else []))
    session.chdir(session.create_tmp())
    session.run("pytest", *_suite_args(kind, name, folder), *session.posargs)


@nox.session(python=CI_PYTHON)
@nox.parametrize("folder", [nox.param(f, id=f.split("/")[-1]) for f in PLUGINS])
def plugin(session: nox.Session, folder: str) -> None:
    """One plugin, installed as a user would: its own tests, then the conformance suite for every
    backend and machine it registers."""
    # a plugin that declares a `test` extra gets it (vqnet-cirq's qsimcirq, so that cirq.qsim is
    # tested too; vqnet-pennylane's pytest-mock and flaky for PennyLane's device test suite)
    extras = tomllib.loads((ROOT / folder / "pyproject.toml").read_text()).get(
        "project", {}).get("optional-dependencies", {})
    _install_core(session, *_local_deps(folder),
                  f"./{folder}[test]" if "test" in extras else f"./{folder}")
    tests_dir = ROOT / folder / "tests"
    session.chdir(session.create_tmp())
    if tests_dir.exists():
        session.run("pytest", str(tests_dir), "-p", "no:cacheprovider", *TIMEOUT,
                    *session.posargs)
    for kind, name, where in TARGETS:
        if where == folder:
            session.run("pytest", *_suite_args(kind, name, folder), *session.posargs)


@nox.session(python=CI_PYTHON)
def qpu_all(session: nox.Session) -> None:
    """The conformance suite for EVERY ``qpu.*`` device (about 70 machines, most of an hour on
    2 cores; not part of ``ci``, which runs the three declared as entry points). Pass device
    names to run only those: ``nox -s qpu_all -- qpu.ibm_kyiv qpu.google.weber``."""
    _install_core(session, *_local_deps("plugins/qpu"), "./plugins/qpu[test,google]")
    session.chdir(session.create_tmp())
    names = session.posargs or session.run(
        "python", "-c", "from vqnet_qpu.devices import device_names; "
        "print(' '.join(device_names()))", silent=True).split()
    failed = []
    for name in names:
        try:
            session.run("pytest", *_suite_args("machine", name, "plugins/qpu"), "-q")
        except Exception:  # noqa: BLE001 - nox raises on a failed command: go on, report all
            failed.append(name)
    session.log(f"conformance of {len(names)} qpu.* machines: {len(names) - len(failed)} "
                f"passed" + (f", failed: {', '.join(failed)}" if failed else ""))
    if failed:
        session.error(f"{len(failed)} qpu.* machines failed the conformance suite")


@nox.session(python=CI_PYTHON)
def asan(session: nox.Session) -> None:
    """vqnet-cpu built with AddressSanitizer: its tests (bad input and hypothesis fuzz included)
    and the conformance suite for ``cpu``, also with ``cpu`` under the statevector machine."""
    lib = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                         text=True, check=False).stdout.strip()
    if not os.path.isabs(lib):
        session.error("gcc's AddressSanitizer runtime (libasan.so) was not found")
    _install_core(session)
    session.install("--config-settings=setup-args=-Db_sanitize=address", "./plugins/cpu")
    # detect_leaks=0: CPython's own allocations; allocator_may_return_null=1: an impossible
    # allocation becomes NumPy's MemoryError, not an ASan abort
    env = {"LD_PRELOAD": lib, "ASAN_OPTIONS": "detect_leaks=0:allocator_may_return_null=1"}
    session.chdir(session.create_tmp())
    session.run("pytest", str(ROOT / "plugins/cpu/tests"), "-p", "no:cacheprovider", *TIMEOUT,
                env=env)
    session.run("pytest", *_suite_args("array", "cpu", "plugins/cpu"), env=env)
    session.run("pytest", *_suite_args("machine", "statevector", None),
                env={**env, "VQNET_BACKEND": "cpu"})


@nox.session(python=CI_PYTHON)
def distributed(session: nox.Session) -> None:
    """vqnet_core.distributed over MPI (``vqnet[mpi]``: mpi4py and the MPICH wheel's mpiexec):
    tests/distributed at one process, which also starts jobs (a rank that raises ends the job;
    the CNN and HQCNN examples under ``mpiexec -n 2``); the same tests under ``mpiexec -n 2``
    (the equivalence of N ranks x batch b with one process x batch N*b among them); and the
    conformance suite for the ``sharded`` machine over ``statevector`` and over
    ``density_matrix`` under ``mpiexec -n 2``."""
    session.install(".[mpi]", "./spec", *TEST_DEPS)
    session.chdir(session.create_tmp())
    tests = str(ROOT / "tests" / "distributed")
    session.run("pytest", tests, "-p", "no:cacheprovider", *TIMEOUT, *session.posargs)
    launcher = session.run("python", "-c", "from vqnet_core.distributed import mpiexec_command;"
                           " print('\\n'.join(mpiexec_command(2)))", silent=True)
    mpiexec = [*launcher.strip().splitlines(), "python", "-m", "pytest"]
    # Hydra's MPIEXEC_TIMEOUT ends a job that hangs; pytest-timeout, a test that does
    env = {"MPIEXEC_TIMEOUT": "900", "VQNET_PROGRESS": "0"}
    session.run(*mpiexec, tests, "-p", "no:cacheprovider", "--timeout=300",
                "--timeout-method=thread", *session.posargs, env=env, external=True)
    for inner in ("statevector", "density_matrix"):  # the suite builds `sharded` by name
        session.run(*mpiexec, "-p", "vqnet_core.distributed.testing",
                    *_suite_args("machine", "sharded", None),
                    env={**env, "VQNET_SHARDED_MACHINE": inner}, external=True)


@nox.session(python=CI_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the whole repository."""
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session(python=CI_PYTHON)
def examples(session: nox.Session) -> None:
    """Smoke runs of the examples (tiny data, one epoch); with vqnet-qiskit for Appendix D."""
    _install_core(session, "./plugins/qiskit")
    session.run("pytest", "tests", "-m", "examples", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=CI_PYTHON)
def pyvqnet_oracle(session: nox.Session) -> None:
    """The pyvqnet compatibility layer against the real pyvqnet from PyPI (its own venv: the
    wheel brings its own pyqpanda3 and ~1.5 GB of CUDA libraries)."""
    _install_core(session, "pyvqnet")
    session.chdir(session.create_tmp())
    tests = ROOT / "tests" / "compat"
    session.run("pytest", str(tests / "test_against_real_pyvqnet.py"),
                str(tests / "test_vqc_against_real_pyvqnet.py"), "-p", "no:cacheprovider",
                *TIMEOUT, *session.posargs)


@nox.session(python=TORCH_PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmarks, side by side with the anchors (pass --quick for a short run)."""
    _install_core(session, "torch==2.13.0", "tqdm")
    for script in sorted((ROOT / "benchmarks").glob("[a-z]*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session(python=CI_PYTHON)
def wheels(session: nox.Session) -> None:
    """The README's install from a clone, on a fresh venv: ``python tools/install.py all`` builds
    every wheel into wheelhouse/ and installs ``vqnet[all]`` from it; then each plugin loads."""
    session.run("python", str(ROOT / "tools" / "install.py"), "all",
                "--wheelhouse", str(ROOT / "wheelhouse"))
    session.chdir(session.create_tmp())
    session.run("vqnet", "info")
    session.run("python", "-c", _PLUGINS_LOAD)


# Every array backend and machine of the repository is installed and loads (qpanda.gpu may say
# it is unavailable, and so may the gpu array backend without a device: both still count as
# loaded).
_PLUGINS_LOAD = f"""
import vqnet_core as vq
from vqnet_core.backend import BackendUnavailableError
from vqnet_core.quantum import get_machine_class
targets = {[(k, n) for k, n, _ in TARGETS]!r}
for kind, name in targets:
    if kind == "array":
        try:
            vq.get_backend(name)
        except BackendUnavailableError as exc:
            print(f"array backend {{name}} is installed but unavailable here: {{exc}}")
    else:
        get_machine_class(name)
import vqnet_spec
print("installed from the wheelhouse and loaded:", ", ".join(n for _, n in targets))
"""


@nox.session(python=False)
def ci(session: nox.Session) -> None:
    """What CI runs: lint, tests on every Python, the core's conformance targets, every plugin
    (its tests and conformance), vqnet-cpu under AddressSanitizer, the MPI tests under
    ``mpiexec -n 2``, examples, wheels."""
    session.notify("lint")
    for py in PYTHONS:
        session.notify(f"tests-{py}")
    for kind, name, folder in TARGETS:
        if folder is None:  # the core's own backend and machines; plugins run as a whole below
            pys = PYTHONS if (kind, name) == ("array", "numpy") else [CI_PYTHON]
            for py in pys:
                session.notify(f"conformance-{py}({kind}:{name})")
    for folder in PLUGINS:
        session.notify(f"plugin({folder.split('/')[-1]})")
    session.notify("asan")
    session.notify("distributed")
    session.notify("examples")
    session.notify("pyvqnet_oracle")
    session.notify("wheels")
    session.notify("report")


def _missing_pythons() -> list[str]:
    """The versions of PYTHONS that cannot be started as ``pythonX.Y`` (a pyenv shim for a
    version that is not selected counts as missing)."""
    missing = []
    for v in PYTHONS:
        try:
            ok = subprocess.run([f"python{v}", "-c", ""], capture_output=True,
                                timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if not ok:
            missing.append(v)
    return missing


@nox.session(python=False)
def report(session: nox.Session) -> None:
    """The last session of `ci`: says which Pythons were not there, so that a skipped session
    is never mistaken for a passed one (and fails under CI)."""
    missing = _missing_pythons()
    if not missing:
        session.log(f"every Python of the matrix starts from PATH: {', '.join(PYTHONS)}")
        return
    names = ", ".join(f"python{v}" for v in missing)
    head = "CI needs every Python of the matrix" if IN_CI else "SKIPPED"
    msg = (f"{head}: the sessions on Python {', '.join(missing)} did not run ({names} cannot be "
           f"started from PATH). To run them, put those interpreters on PATH: with pyenv, "
           f"`pyenv install {' '.join(missing)}` (the noxfile then selects them itself); with "
           f"uv, `uv python install {' '.join(missing)}` and add ~/.local/bin to PATH; or your "
           f"system's packages (e.g. python{missing[0]} from deadsnakes).")
    if IN_CI:
        session.error(msg)
    session.warn(msg)
