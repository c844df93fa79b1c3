"""Expected-failure lists: parsing the ``--vqnet-xfails`` file and matching test ids.

A backend keeps a small text file, one entry a line, in TOML's ``key = "value"`` shape::

    # why each test is expected to fail
    test_unary[erf-float32] = "erf is not implemented for float32 yet"
    "array/test_random.py::test_random_moments" = "our normal sampler is Box-Muller in float32"
    test_gradcheck[einsum = "einsum backward needs the einsum_backward kernel"

Keys may be bare (anything up to the first ``=``) or quoted like TOML strings. A key is a test
id or a prefix of one; see :func:`matches` for the exact rule.

>>> parse_xfails('test_unary[erf = "no erf"  # comment\\n')
{'test_unary[erf': 'no erf'}
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["XfailEntry", "XfailSet", "parse_xfails", "load_xfails_file", "matches",
           "canonical_ids"]

_LINE = re.compile(r'''^\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^=]+?))\s*=\s*(.+)$''')
# A prefix must end where an id naturally breaks, so "test_unary" does not match
# "test_unary_grad[...]".
_BOUNDARY = "[]-:/"


class XfailFormatError(ValueError):
    """An expected-failures file line is not ``test-id = "reason"``."""


def parse_xfails(text: str, source: str = "<string>") -> dict[str, str]:
    """Entries of an expected-failures file as ``{id_or_prefix: reason}``.

    >>> parse_xfails('"a::b" = "why"\\n# note\\n')
    {'a::b': 'why'}
    """
    out: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            raise XfailFormatError(f"{source}:{lineno}: expected `test-id = \"reason\"`, "
                                   f"got {raw!r}")
        dq, sq, bare, rest = m.groups()
        key = json.loads(f'"{dq}"') if dq is not None else sq if sq is not None else bare.strip()
        try:
            reason = tomllib.loads("v = " + rest)["v"]
        except tomllib.TOMLDecodeError as exc:
            raise XfailFormatError(f"{source}:{lineno}: the reason must be a quoted string "
                                   f"({exc}); got {rest!r}") from None
        if not isinstance(reason, str) or not reason.strip():
            raise XfailFormatError(f"{source}:{lineno}: the reason for {key!r} must be a "
                                   "non-empty string")
        if not key:
            raise XfailFormatError(f"{source}:{lineno}: empty test id")
        out[key] = reason
    return out


def load_xfails_file(path: str | Path) -> dict[str, str]:
    """Read and parse an expected-failures file (a clear error if it is missing)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"--vqnet-xfails: no such file {str(p)!r}")
    return parse_xfails(p.read_text(encoding="utf-8"), str(p))


def matches(pattern: str, test_id: str) -> bool:
    """Whether ``pattern`` names ``test_id``: equal, or a prefix that ends at a boundary.

    A prefix matches when it ends with, or is followed in the id by, one of ``[ ] - : /``.

    >>> matches("test_unary[erf", "test_unary[erf-float32]")
    True
    >>> matches("test_unary", "test_unary_grad[x]")
    False
    """
    if pattern == test_id:
        return True
    if not test_id.startswith(pattern):
        return False
    return pattern[-1] in _BOUNDARY or test_id[len(pattern)] in _BOUNDARY


def canonical_ids(module_path: str, name: str) -> tuple[str, str]:
    """The two ids an entry may name: ``name`` and ``<path in vqnet_spec>::name``."""
    return name, f"{module_path}::{name}"


@dataclass
class XfailEntry:
    """One expected failure: the id or prefix, the reason, where it came from."""

    pattern: str
    reason: str
    source: str
    matched: int = 0


@dataclass
class XfailSet:
    """All expected failures of one run, from the file and the pluggy hook."""

    entries: list[XfailEntry] = field(default_factory=list)

    def add(self, mapping: dict[str, str] | None, source: str) -> None:
        for pattern, reason in (mapping or {}).items():
            self.entries.append(XfailEntry(str(pattern), str(reason), source))

    def lookup(self, ids: tuple[str, ...]) -> XfailEntry | None:
        """The first entry that names any of ``ids`` (every matching entry is counted)."""
        found = None
        for e in self.entries:
            if any(matches(e.pattern, i) for i in ids):
                e.matched += 1
                found = found or e
        return found

    def unmatched(self) -> list[XfailEntry]:
        return [e for e in self.entries if e.matched == 0]
