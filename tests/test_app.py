"""`hubbub.app`: what the running server does to its own process."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hubbub.app import GC_YOUNG_THRESHOLD, tune_garbage_collector


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """Put the collector back as it was: other tests share this process."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_started_server_freezes_startup_objects_and_collects_less_often() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    _, middle, old = gc.get_threshold()
    tune_garbage_collector()
    assert gc.get_freeze_count() > 1000  # modules, classes, functions, config
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, middle, old)
    assert gc.isenabled()  # cycles are still collected
