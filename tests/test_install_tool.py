"""tools/install.py, the one command that installs vqnet with extras from a clone: which wheels
each set of extras needs, and that every extra names a distribution that exists. (The install
itself runs in ``nox -s wheels`` on a fresh venv.)"""

from __future__ import annotations

import pathlib
import runpy
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOL = runpy.run_path(str(ROOT / "tools" / "install.py"))


def _names(folders):
    return [f.relative_to(ROOT).as_posix() for f in folders]


def test_the_core_alone_and_one_plugin():
    assert TOOL["resolve"]([]) == ([], [ROOT])
    extras, folders = TOOL["resolve"](["cpu", "plot"])
    assert extras == ["cpu", "plot"] and _names(folders) == [".", "plugins/cpu"]


def test_all_takes_every_plugin_and_the_spec():
    _, folders = TOOL["resolve"](["all"])
    want = {"spec"} | {p.parent.relative_to(ROOT).as_posix()
                       for p in ROOT.glob("plugins/*/pyproject.toml")}
    assert _names(folders)[0] == "." and set(_names(folders)[1:]) == want


def test_unknown_extra_names_the_ones_that_exist():
    with pytest.raises(ValueError, match=r"unknown extra\(s\) 'tpu' of vqnet; it has: .*cpu"):
        TOOL["resolve"](["tpu"])
    with pytest.raises(SystemExit):
        TOOL["main"](["no_such_extra"])


def test_every_vqnet_requirement_of_an_extra_is_in_the_repository():
    local = TOOL["local_distributions"]()
    for extra, reqs in TOOL["core_extras"]().items():
        for req in reqs:
            name, _ = TOOL["_req_name"](req)
            if name.startswith("vqnet"):
                assert name in local, f"extra {extra!r} names {name!r}, which is not in the repo"
                version = tomllib.loads((local[name] / "pyproject.toml").read_text())
                pin = req.split("==")[-1] if "==" in req else None
                assert pin in (None, version["project"]["version"]), (extra, req)
