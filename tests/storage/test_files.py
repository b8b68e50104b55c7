"""The uploads directory: what a failed write or a crash leaves is cleaned
up, and retention reads past a record it cannot read."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hubbub.storage.files import STALE_PART_SECONDS, FileStore


async def test_a_write_that_fails_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = FileStore(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)  # both parts written, then full
    with pytest.raises(OSError, match="No space"):
        await files.save(b"data", name="a.txt", content_type="text/plain", uploader="u")
    assert os.listdir(tmp_path) == []


async def test_expiry_reads_past_an_unreadable_record_and_sweeps_stale_parts(
    tmp_path: Path,
) -> None:
    files = FileStore(tmp_path)
    kept = await files.save(
        b"new", name="n.txt", content_type="text/plain", uploader="u"
    )
    old = await files.save(
        b"old", name="o.txt", content_type="text/plain", uploader="u"
    )
    record = tmp_path / f"{old.file_id}.json"
    record.write_text("")  # cut short by a crash: the upload cannot be read
    assert files.find(old.file_id) is None
    long_ago = time.time() - 2 * STALE_PART_SECONDS
    os.utime(record, (long_ago, long_ago))
    stale = tmp_path / "leftover.part"
    stale.write_bytes(b"half")
    os.utime(stale, (long_ago, long_ago))
    fresh = tmp_path / "under-way.part"  # an upload being written now
    fresh.write_bytes(b"half")
    # Retention for uploads older than an hour: the unreadable record goes
    # by its file's time, and the stale leftover with it.
    assert await files.expire(time.time() - STALE_PART_SECONDS) == 1
    assert sorted(os.listdir(tmp_path)) == sorted(
        [kept.file_id, f"{kept.file_id}.json", "under-way.part"]
    )
    assert files.find(kept.file_id) is not None
