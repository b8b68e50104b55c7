"""Uploaded files on disk, under `<data_dir>/uploads/`: save, look up, expire.

Each file is `<id>` (the bytes) beside `<id>.json` (its name, type, size,
uploader and time). Both are written to temporary names and renamed once
complete (the record first: a record without its file names nothing), and a
write that fails (a full disk) removes what it wrote, so a failed or refused
upload leaves nothing half-stored; what a crash left is swept by `expire`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# Ids are `secrets.token_urlsafe(12)`: 16 of these characters. Anything else
# names no file (and a name too long for the file system is an error there).
_ID_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")
MAX_ID_LENGTH = 64

# Temporary files older than this are what a crash left: `expire` deletes them.
STALE_PART_SECONDS = 3600.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """What is known about one uploaded file."""

    file_id: str
    name: str
    content_type: str
    size: int
    uploader: str
    uploaded_at: float


class FileStore:
    """The uploads directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def save(
        self, data: bytes, *, name: str, content_type: str, uploader: str
    ) -> StoredFile:
        """Store `data`; return its record.

        Raises:
            OSError: it could not be stored (nothing of it is left).
        """
        stored = StoredFile(
            secrets.token_urlsafe(12),
            name,
            content_type,
            len(data),
            uploader,
            time.time(),
        )
        await asyncio.to_thread(self._write, stored, data)
        return stored

    def _write(self, stored: StoredFile, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / stored.file_id
        record = self.directory / f"{stored.file_id}.json"
        partial = self.directory / f"{stored.file_id}.part"
        partial_record = self.directory / f"{stored.file_id}.json.part"
        try:
            partial.write_bytes(data)
            partial_record.write_text(json.dumps(asdict(stored)))
            os.replace(partial_record, record)
            os.replace(partial, final)
        except BaseException:
            for path in (partial, partial_record, record, final):
                path.unlink(missing_ok=True)
            raise

    def find(self, file_id: str) -> tuple[Path, StoredFile] | None:
        """The file's path and record, if it exists (ids are never paths)."""
        if len(file_id) > MAX_ID_LENGTH or not _ID_CHARACTERS.fullmatch(file_id):
            return None
        path = self.directory / file_id
        meta = self.directory / f"{file_id}.json"
        if not path.is_file() or not meta.is_file():
            return None
        stored = _read_record(meta)
        return None if stored is None else (path, stored)

    async def expire(self, older_than: float) -> int:
        """Delete files uploaded before `older_than`; return how many."""
        return await asyncio.to_thread(self._expire, older_than)

    def _expire(self, older_than: float) -> int:
        if not self.directory.is_dir():
            return 0
        deleted = 0
        for meta in self.directory.glob("*.json"):
            stored = _read_record(meta)
            # A record that cannot be read (cut short by a crash) goes by
            # its file's time instead: its upload cannot be downloaded.
            when = stored.uploaded_at if stored is not None else _mtime(meta)
            if when is not None and when < older_than:
                (self.directory / meta.stem).unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
                deleted += 1
        stale = time.time() - STALE_PART_SECONDS
        for partial in self.directory.glob("*.part"):
            when = _mtime(partial)
            if when is not None and when < stale:
                partial.unlink(missing_ok=True)
        return deleted


def _read_record(meta: Path) -> StoredFile | None:
    """The record in `meta`; None (and a log line) when it cannot be read."""
    try:
        return StoredFile(**json.loads(meta.read_text()))
    except (OSError, ValueError, TypeError) as error:
        logger.warning("! upload record %s is unreadable: %s", meta.name, error)
        return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None
