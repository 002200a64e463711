"""A ZIP writer for streams that cannot seek, built to be assembled from fragments.

A *fragment* is a run of local entries (header + data) with no central directory, and
the list of its entries. Chunk workers each write one fragment; the last one to finish
concatenates them byte for byte, adds ``manifest.csv`` and writes one central directory
with every offset shifted -- no entry is decompressed or recompressed, and memory holds
one fragment's entry list at a time. ZIP64 records are written when offsets, sizes or the
entry count need them, so a million stamps make one valid archive.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

_DOS_TIME, _DOS_DATE = 0, (2024 - 1980) << 9 | 1 << 5 | 1  # fixed: the same input makes the same bytes
_U32 = 0xFFFFFFFF
_UTF8 = 0x800
_DESCRIPTOR = 0x08
STORED, DEFLATED = 0, 8


class Sink(Protocol):
    def write(self, data: bytes, /) -> Any: ...


@dataclass
class Entry:
    name: str
    crc: int
    csize: int
    usize: int
    method: int
    offset: int
    flags: int = _UTF8

    def to_json(self) -> list[Any]:
        return list(asdict(self).values())

    @classmethod
    def from_json(cls, row: list[Any]) -> Entry:
        return cls(*row)


class ZipWriter:
    def __init__(self, out: Sink, offset: int = 0) -> None:
        self.out = out
        self.offset = offset
        self.entries: list[Entry] = []

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.offset += len(data)

    def add(self, name: str, data: bytes, *, compress: bool = True) -> Entry:
        crc = zlib.crc32(data)
        if compress:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = c.compress(data) + c.flush()
            method = DEFLATED
        else:
            body, method = data, STORED
        entry = Entry(name, crc, len(body), len(data), method, self.offset)
        encoded = name.encode("utf-8")
        self._write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                _UTF8,
                method,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                len(body),
                len(data),
                len(encoded),
                0,
            )
            + encoded
        )
        self._write(body)
        self.entries.append(entry)
        return entry

    def add_stream(self, name: str, chunks: Iterable[bytes]) -> Entry:
        """A deflated entry of unknown size: sizes and CRC follow the data (descriptor)."""
        encoded = name.encode("utf-8")
        flags = _UTF8 | _DESCRIPTOR
        start = self.offset
        self._write(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, DEFLATED, _DOS_TIME, _DOS_DATE, 0, 0, 0, len(encoded), 0)
            + encoded
        )
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        crc = usize = csize = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            usize += len(chunk)
            body = c.compress(chunk)
            if body:
                csize += len(body)
                self._write(body)
        body = c.flush()
        csize += len(body)
        self._write(body)
        if csize > _U32 or usize > _U32:
            raise ValueError(f"{name}: entries over 4 GiB are not supported")
        self._write(struct.pack("<IIII", 0x08074B50, crc, csize, usize))
        entry = Entry(name, crc, csize, usize, DEFLATED, start, flags)
        self.entries.append(entry)
        return entry

    def finish(self, entries: Iterable[Entry] | None = None) -> int:
        """Central directory and end records; returns the archive's size."""
        start = self.offset
        count = 0
        for e in self.entries if entries is None else entries:
            self._write(_central_record(e))
            count += 1
        write_end(self, start, self.offset - start, count)
        return self.offset


def _central_record(e: Entry) -> bytes:
    encoded = e.name.encode("utf-8")
    extra = b""
    offset = e.offset
    if offset >= _U32:
        extra = struct.pack("<HHQ", 0x0001, 8, offset)
        offset = _U32
    version = 45 if extra else 20
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            version,
            version,
            e.flags,
            e.method,
            _DOS_TIME,
            _DOS_DATE,
            e.crc,
            e.csize,
            e.usize,
            len(encoded),
            len(extra),
            0,
            0,
            0,
            0,
            offset,
        )
        + encoded
        + extra
    )


def write_end(w: ZipWriter, cd_start: int, cd_size: int, count: int) -> None:
    if count >= 0xFFFF or cd_start >= _U32 or cd_size >= _U32:
        eocd64 = w.offset
        w._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_start))
        w._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        w._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, _U32, _U32, 0))
    else:
        w._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_start, 0))


class BytesSink:
    """A sink that keeps what it is given (small archives, tests)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(data)
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def iter_encoded(texts: Iterable[str]) -> Iterator[bytes]:
    for text in texts:
        yield text.encode("utf-8")
