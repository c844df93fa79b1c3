"""The ``vqnet`` command: ``vqnet info`` lists backends and machines with their status.

>>> from vqnet_core.cli import main
>>> main(["info", "--no-import"])  # doctest: +ELLIPSIS
VQNet ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .backend.protocol import BackendUnavailableError
from .backend.registry import GROUP as ARRAY_GROUP
from .backend.registry import list_entry_points, load_entry_point

MACHINE_GROUP = "vqnet.machines"


def _describe(group: str, name: str, what: str, do_import: bool) -> dict[str, Any]:
    ep = list_entry_points(group)[name]
    row: dict[str, Any] = {"name": name, "distribution": ep.distribution, "version": ep.version,
                           "target": ep.value}
    if not do_import:
        row["status"] = "not imported"
        return row
    try:
        obj = load_entry_point(group, name, what)
        inst = obj() if isinstance(obj, type) else obj
    except BackendUnavailableError as exc:  # installed, but not on this machine: say why
        row["status"] = f"unavailable: {exc}"
        return row
    except Exception as exc:  # a broken plugin is reported, never fatal
        row["status"] = f"import failed: {type(exc).__name__}: {exc}"
        return row
    row["status"] = "ok"
    caps = getattr(inst, "capabilities", None)
    if caps is not None:
        row["capabilities"] = _caps_dict(caps)
    return row


def _caps_dict(caps: Any) -> dict[str, Any]:
    out = {}
    for k, v in (vars(caps).items() if hasattr(caps, "__dict__") else []):
        if isinstance(v, (set, frozenset)):
            v = sorted(v)
        out[k] = v
    return out


def _machine_rows(do_import: bool) -> list[dict[str, Any]]:
    """One row per static machine; a machine family (entry point ``prefix.*``) gives one row
    per name it lists, described by its ``describe(name)`` (its machines are not built),
    except the names that are static entry points too."""
    from .quantum.registry import FAMILY_SUFFIX, machine_family

    rows = []
    static = {n for n in list_entry_points(MACHINE_GROUP) if not n.endswith(FAMILY_SUFFIX)}
    for n in sorted(list_entry_points(MACHINE_GROUP)):
        if not n.endswith(FAMILY_SUFFIX):
            rows.append(_describe(MACHINE_GROUP, n, "machine", do_import))
            continue
        ep = list_entry_points(MACHINE_GROUP)[n]
        base = {"distribution": ep.distribution, "version": ep.version, "target": ep.value}
        if not do_import:
            rows.append({"name": n, **base, "status": "not imported (machine family)"})
            continue
        try:
            fam = machine_family(n[:-len(FAMILY_SUFFIX)])
            names = sorted(fam.names())
        except Exception as exc:  # a broken plugin is reported, never fatal
            rows.append({"name": n, **base,
                         "status": f"import failed: {type(exc).__name__}: {exc}"})
            continue
        describe = getattr(fam, "describe", None)
        for name in names:
            if name in static:  # also a static entry point: described (built) there
                continue
            try:
                status = describe(name) if describe is not None else "listed"
            except Exception as exc:  # noqa: BLE001
                status = f"failed: {type(exc).__name__}: {exc}"
            rows.append({"name": name, **base, "status": status})
    return rows


def collect_info(do_import: bool = True) -> dict[str, Any]:
    """Everything ``vqnet info`` prints, as a dict."""
    info: dict[str, Any] = {
        "vqnet": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "array_backends": [_describe(ARRAY_GROUP, n, "array backend", do_import)
                           for n in sorted(list_entry_points(ARRAY_GROUP))],
        "machines": _machine_rows(do_import),
    }
    if do_import:
        from .hooks import plugin_manager
        extra = {}
        for answer in plugin_manager().hook.vqnet_info():
            if answer:
                extra.update(answer)
        if extra:
            info["plugins"] = extra
    return info


def _print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}:")
    if not rows:
        print("  (none installed)")
        return
    for r in rows:
        print(f"  {r['name']:<24} {r['distribution']} {r['version']:<10} {r['status']}")
        caps = r.get("capabilities")
        if caps:
            for k, v in caps.items():
                if v in ({}, [], None, ""):
                    continue
                shown = ", ".join(map(str, v)) if isinstance(v, list) else v
                print(f"  {'':<24}   {k}: {shown}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vqnet", description="VQNet command line")
    sub = parser.add_subparsers(dest="command")
    p_info = sub.add_parser("info", help="list array backends and quantum machines")
    p_info.add_argument("--json", action="store_true", help="print JSON")
    p_info.add_argument("--no-import", action="store_true",
                        help="read entry-point metadata only; import no plugin")
    args = parser.parse_args(argv)
    if args.command != "info":
        parser.print_help()
        return 0 if args.command is None else 2
    info = collect_info(do_import=not args.no_import)
    try:
        _print_info(info, as_json=args.json)
    except BrokenPipeError:  # `vqnet info | head`: the reader left, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _print_info(info: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info, indent=2, default=str))
        return
    print(f"VQNet {info['vqnet']} (Python {info['python']}, {info['platform']})")
    _print_table("Array backends", info["array_backends"])
    _print_table("Quantum machines", info["machines"])
    for k, v in info.get("plugins", {}).items():
        print(f"  {k}: {v}")


if __name__ == "__main__":
    sys.exit(main())
