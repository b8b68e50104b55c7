"""Fixtures: an in-process engine with a frozen clock."""

from __future__ import annotations

import pytest

from hubbub.core.engine import Engine
from tests.fakes import FrozenClock, make_engine


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock."""
    return FrozenClock()


@pytest.fixture
def engine(clock: FrozenClock) -> Engine:
    """An engine with the test config and a frozen clock."""
    return make_engine(clock)
