"""Uploaded files on disk, under `<data_dir>/uploads/`: save, look up, expire.

Each file is `<id>` (the bytes) beside `<id>.json` (its name, type, size,
uploader and time). A file is written to a temporary name and renamed once
complete, so a failed or refused upload leaves nothing half-stored.
"""

from __future__ import annotations

import asyncio
import json
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
        """Store `data`; return its record."""
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
        partial = final.with_suffix(".part")
        partial.write_bytes(data)
        (self.directory / f"{stored.file_id}.json").write_text(
            json.dumps(asdict(stored))
        )
        os.replace(partial, final)

    def find(self, file_id: str) -> tuple[Path, StoredFile] | None:
        """The file's path and record, if it exists (ids are never paths)."""
        if len(file_id) > MAX_ID_LENGTH or not _ID_CHARACTERS.fullmatch(file_id):
            return None
        path = self.directory / file_id
        meta = self.directory / f"{file_id}.json"
        if not path.is_file() or not meta.is_file():
            return None
        return path, StoredFile(**json.loads(meta.read_text()))

    async def expire(self, older_than: float) -> int:
        """Delete files uploaded before `older_than`; return how many."""
        return await asyncio.to_thread(self._expire, older_than)

    def _expire(self, older_than: float) -> int:
        if not self.directory.is_dir():
            return 0
        deleted = 0
        for meta in self.directory.glob("*.json"):
            record = json.loads(meta.read_text())
            if record["uploaded_at"] < older_than:
                (self.directory / record["file_id"]).unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
                deleted += 1
        return deleted
