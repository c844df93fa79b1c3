"""The README's quick start runs as written (so the README stays true to the code)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_runs(capsys):
    code = re.search(r"## Quick start\n\n```python\n(.*?)```", README.read_text(), re.S)
    assert code, "README.md has no python block under '## Quick start'"
    exec(compile(code.group(1), str(README), "exec"), {})
    out = capsys.readouterr().out
    loss = float(out.strip().split()[-1])
    assert loss < 0.69  # below chance-level cross-entropy after one epoch
