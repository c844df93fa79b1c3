"""The preparation gates and observables every other machine test uses, checked on their own
against closed forms (see :mod:`vqnet_spec.machine.basics`). When one of these fails, the
tests built on it are skipped with ``depends on NAME, which failed: ...``, so the first
failure names the culprit instead of 13 gate tests failing under other names.

    pytest --pyargs vqnet_spec.machine.test_basics --vqnet-machine NAME
"""

from __future__ import annotations

import pytest

from .basics import CHECKS, results


@pytest.mark.parametrize("name", list(CHECKS))
def test_basics(machine, name):
    o = results(machine)[name]
    if o.skipped:
        pytest.skip(o.skipped)
    if o.failure:
        pytest.fail(f"{name} is wrong: {o.failure}", pytrace=False)
