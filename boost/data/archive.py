"""Reading untrusted zip archives in memory, never extracting to disk.

Every entry name is checked before anything is read: absolute paths, drive letters, `..`
components (also written with backslashes) and symbolic links reject the whole archive, since
an archive that carries them is malformed or hostile. Decompressed bytes are counted while
streaming, so a zip bomb stops at the cap instead of filling memory: the sizes in the headers
are written by the archive's author and are not trusted.

Only stored and deflate entries are read. For those, zipfile bounds the output of each read;
for bzip2 and LZMA it decompresses all the input it has read in one call, so a 4 KB entry can
become gigabytes before any count is checked. Other methods are refused by name instead.

Messages name the entry, never the archive: the caller knows which file it opened and says
so once.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from boost.validation import short_repr

_CHUNK = 1 << 20
# Small, very uniform files (a flat-colour BMP) legitimately compress more than any sane
# ratio; the ratio cap only bites once an entry has produced this many bytes.
_RATIO_GRACE_BYTES = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")

#: Compression methods read: both bound their output per read.
READ_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
#: Names of the methods refused, for the message (APPNOTE.TXT 4.4.5).
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64",
                 93: "Zstandard", 95: "XZ", 98: "PPMd", 99: "AES-encrypted"}  # fmt: skip


class ArchiveError(ValueError):
    """An archive that cannot be read safely. The message names the entry (the caller, which
    opened the archive, names it)."""


@dataclass(frozen=True)
class ZipLimits:
    """Caps on what one archive may expand to."""

    max_entries: int = 100_000
    max_total_bytes: int = 2 * 1024**3
    max_entry_bytes: int = 100 * 1024**2
    #: Largest allowed decompressed/compressed size ratio of one entry.
    max_ratio: float = 200.0


DEFAULT_ZIP_LIMITS = ZipLimits()


def list_zip_files(path: str | Path, limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> list[str]:
    """Names of the regular files in a zip, checked and normalised ('/' separators).

    Directories, `__MACOSX/` and hidden files (any path part starting with '.') are left out.

    Raises:
        ArchiveError: not a readable zip, too many entries, an unsafe entry name or link, or
            an entry compressed with a method other than stored or deflate.
    """
    with _open(path) as zf:
        return list(_checked_members(zf, limits))


def iter_zip_files(
    path: str | Path,
    limits: ZipLimits = DEFAULT_ZIP_LIMITS,
    names: Collection[str] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Yield (name, contents) for the files `list_zip_files` returns, in archive order.

    Args:
        path: the zip file.
        limits: caps on entries, sizes and compression ratio.
        names: read only these (as returned by `list_zip_files`); None reads all.

    Raises:
        ArchiveError: as `list_zip_files`, or when reading would pass a cap or an entry is
            corrupt or encrypted; raised while iterating, before the offending bytes pile up.
    """
    with _open(path) as zf:
        members = _checked_members(zf, limits)
        total = 0
        for name, info in members.items():
            if names is not None and name not in names:
                continue
            data = _read_entry(zf, info, name, limits, limits.max_total_bytes - total)
            total += len(data)
            yield name, data


def _open(path: str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    # NotImplementedError: zip versions or features Python's zipfile does not support.
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ArchiveError(f"not a readable zip file ({exc})") from None


def _checked_members(zf: zipfile.ZipFile, limits: ZipLimits) -> dict[str, zipfile.ZipInfo]:
    """Normalised name -> entry for the files to read; rejects the archive on any unsafe entry."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ArchiveError(
            f"too many entries ({len(infos):,}; the limit is {limits.max_entries:,})"
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        raw = info.filename
        # Backslashes are separators for some Windows zip tools; treating them as such also
        # catches "..\\evil" hidden behind them.
        name = raw.replace("\\", "/")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if name.startswith("/") or _DRIVE.match(name) or ".." in parts:
            raise ArchiveError(f"unsafe path in zip: {short_repr(raw)} (absolute or with '..')")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"unsafe entry in zip: {short_repr(raw)} is a symbolic link")
        if info.is_dir() or not parts or parts[0] == "__MACOSX":
            continue
        if any(p.startswith(".") for p in parts):
            continue
        if info.compress_type not in READ_METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise ArchiveError(
                f"zip entry {short_repr(raw)} is compressed with {method}; only stored and "
                "deflate entries are read (re-create the zip with a standard zip tool)"
            )
        members["/".join(parts)] = info
    return members


def _read_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ZipLimits, budget: int
) -> bytes:
    """One entry's bytes, read in chunks and stopped as soon as a cap is passed."""
    chunks: list[bytes] = []
    size = 0
    compressed = max(info.compress_size, 1)
    name = short_repr(name)
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                size += len(chunk)
                if size > limits.max_entry_bytes:
                    raise ArchiveError(
                        f"zip entry {name} expands past {limits.max_entry_bytes:,} bytes"
                    )
                if size > budget:
                    raise ArchiveError(
                        f"zip expands past {limits.max_total_bytes:,} bytes in all "
                        f"(stopped at {name})"
                    )
                if size > _RATIO_GRACE_BYTES and size / compressed > limits.max_ratio:
                    raise ArchiveError(
                        f"zip entry {name} expands more than {limits.max_ratio:g} times its "
                        "compressed size (a zip bomb?)"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ArchiveError(f"zip entry {name} is corrupt ({exc})") from None
    except NotImplementedError as exc:
        raise ArchiveError(f"zip entry {name} uses an unsupported compression ({exc})") from None
    except RuntimeError as exc:
        # zipfile raises RuntimeError for encrypted entries.
        raise ArchiveError(f"zip entry {name} cannot be read ({exc})") from None
    return b"".join(chunks)
