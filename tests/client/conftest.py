"""Fixtures for the client's tests: a real `hubbub serve` to talk to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_process import ServerProcess, hubbub_serve


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh `hubbub serve` on a free port."""
    with hubbub_serve(tmp_path) as process:
        yield process
