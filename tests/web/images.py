"""Small valid PNG files made in code, for upload tests and screenshots."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A `width` x `height` PNG of stripes from `colour` to white."""
    rows = []
    for y in range(height):
        shade = y / max(1, height - 1)
        pixel = bytes(round(c + (255 - c) * shade * 0.6) for c in colour)
        rows.append(b"\x00" + pixel * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def blank_png(width: int, height: int) -> bytes:
    """A `width` x `height` black-and-white PNG, one bit a pixel: a few
    kilobytes for any size (what an image bomb looks like)."""
    row = b"\x00" + bytes((width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height, 9))
        + _chunk(b"IEND", b"")
    )
