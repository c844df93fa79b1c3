"""Install VQNet with any set of its extras from a clone of the repository, in one command.

The extras of ``vqnet`` name the plugin distributions (``vqnet-cpu``, ``vqnet-qpanda``, ...) that
live in this repository and are not on a package index. This script builds the wheels the chosen
extras need into ``wheelhouse/`` and installs them, with their third-party dependencies from the
index, into the Python that runs it::

    python tools/install.py                  # the core alone
    python tools/install.py cpu qpanda plot  # the core with these extras
    python tools/install.py all              # everything

Once the distributions are published the same set is ``pip install "vqnet[cpu,qpanda,plot]"``.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = "vqnet"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> tuple[str, list[str]]:
    """(normalised name, extras) of a PEP 508 requirement string."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", req)
    if not m:
        raise ValueError(f"cannot read the requirement {req!r}")
    extras = [e.strip() for e in (m.group(2) or "").split(",") if e.strip()]
    return _norm(m.group(1)), extras


def local_distributions(root: pathlib.Path = ROOT) -> dict[str, pathlib.Path]:
    """Every distribution in the repository: normalised name -> its folder."""
    found = {}
    for pp in [root / "pyproject.toml", *sorted(root.glob("spec/pyproject.toml")),
               *sorted(root.glob("plugins/*/pyproject.toml"))]:
        name = tomllib.loads(pp.read_text())["project"]["name"]
        found[_norm(name)] = pp.parent
    return found


def core_extras(root: pathlib.Path = ROOT) -> dict[str, list[str]]:
    """The optional dependencies of the core distribution, by extra."""
    data = tomllib.loads((root / "pyproject.toml").read_text())
    return data["project"].get("optional-dependencies", {})


def resolve(extras: list[str], root: pathlib.Path = ROOT) -> tuple[list[str], list[pathlib.Path]]:
    """The extras to ask the core for, and the local folders whose wheels they need (the core
    first). An unknown extra is a ValueError naming the ones that exist."""
    table = core_extras(root)
    local = local_distributions(root)
    unknown = [e for e in extras if e not in table]
    if unknown:
        raise ValueError(f"unknown extra(s) {', '.join(map(repr, unknown))} of vqnet; it has: "
                         f"{', '.join(sorted(table))}")
    seen: set[str] = set()
    folders = [local[CORE]]
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for req in table[extra]:
            name, sub = _req_name(req)
            if name == CORE:  # a self-reference such as all = ["vqnet[plot,cpu]"]
                todo.extend(sub)
            elif name in local and local[name] not in folders:
                _add_with_local_deps(local[name], local, folders)
    return sorted(dict.fromkeys(extras)), folders


def _add_with_local_deps(folder: pathlib.Path, local: dict[str, pathlib.Path],
                         folders: list[pathlib.Path]) -> None:
    """Add ``folder`` and, first, the repository's distributions it depends on (a plugin that
    builds on another plugin)."""
    if folder in folders:
        return
    deps = tomllib.loads((folder / "pyproject.toml").read_text())["project"].get(
        "dependencies", [])
    folders.append(folder)  # before recursing: a cycle ends here
    for req in deps:
        name, _ = _req_name(req)
        if name in local and name != CORE:
            _add_with_local_deps(local[name], local, folders)


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("extras", nargs="*", help=f"extras of vqnet: {', '.join(core_extras())}")
    ap.add_argument("--wheelhouse", type=pathlib.Path, default=ROOT / "wheelhouse",
                    help="where the wheels are built (default: wheelhouse/ in the clone)")
    args = ap.parse_args(argv)
    try:
        extras, folders = resolve(args.extras)
    except ValueError as exc:
        ap.error(str(exc))
    out = args.wheelhouse.resolve()
    out.mkdir(parents=True, exist_ok=True)
    before = {w: w.stat().st_mtime_ns for w in out.glob("*.whl")}
    _pip("wheel", "--no-deps", "--wheel-dir", str(out), *map(str, folders))
    wheels = _built_wheels(out, folders, before)
    core, plugins = wheels[0], wheels[1:]
    spec = f"{core}[{','.join(extras)}]" if extras else str(core)
    # The local wheels are named as files, so that no index can stand in for them; the rest
    # of the dependencies come from the index as usual.
    _pip("install", "--find-links", str(out), spec, *map(str, plugins))
    # A previous build of the same version would count as installed: put these builds in place.
    _pip("install", "--force-reinstall", "--no-deps", *map(str, wheels))
    print(f"installed vqnet{'[' + ','.join(extras) + ']' if extras else ''} from {out}; "
          "run `vqnet info` to see the backends and machines")
    return 0


def _built_wheels(out: pathlib.Path, folders: list[pathlib.Path],
                  before: dict[pathlib.Path, int]) -> list[pathlib.Path]:
    """The wheel pip just wrote for each folder, in the folders' order."""
    found = []
    for folder in folders:
        data = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        stem = f"{re.sub(r'[-_.]+', '_', data['name'])}-{data['version']}-"
        cands = [w for w in out.glob("*.whl") if w.name.lower().startswith(stem.lower())]
        if not cands:
            raise SystemExit(f"pip built no wheel for {folder} in {out}")
        fresh = [w for w in cands if before.get(w) != w.stat().st_mtime_ns]
        if not fresh:
            raise SystemExit(f"pip wrote no new wheel for {folder} in {out}")
        found.append(max(fresh, key=lambda w: w.stat().st_mtime_ns))
    return found


if __name__ == "__main__":
    sys.exit(main())
