"""The check both front ends' view tests end with: every control of the pane was used by one of the module's tests."""

from __future__ import annotations

from typing import Callable, Iterable

import pytest


def run_after_the_others(request: pytest.FixtureRequest) -> None:
    """Skip unless the calling test is the last of its module and every test of the module was collected."""
    module = request.module
    names = [item.name for item in request.session.items if item.module is module]
    wanted = [name for name, value in vars(module).items() if name.startswith('test_') and callable(value)]
    if names.index(request.node.name) != len(names) - 1 or not set(wanted) <= set(names):
        pytest.skip('checks the other tests of its module: runs only after all of them')


def assert_all_used(shown: Iterable[str], used: Iterable[str], generic: Callable[[str], str], verb: str = 'used') -> None:
    """Every control shown was used (names compared after `generic`, which folds the parts that vary with the data)."""
    missing = sorted({generic(name) for name in shown} - {generic(name) for name in used})
    if missing:                                 # Not an assert: helpers keep their checks under python -O.
        raise AssertionError(f'controls no test {verb}: {missing}')
