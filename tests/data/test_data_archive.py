"""Safe zip reading: unsafe names, links, caps counted while streaming, broken archives."""

from __future__ import annotations

import os
import stat
import zipfile

import pytest

from boost.data.archive import ArchiveError, ZipLimits, iter_zip_files, list_zip_files


def test_lists_and_reads_regular_files_only(write_zip):
    path = write_zip(
        {
            "cats/": b"",
            "cats/a.png": b"A",
            "cats\\b.png": b"B",  # a Windows tool's separator
            "./dogs/c.png": b"C",
            "__MACOSX/cats/._a.png": b"junk",
            "cats/.DS_Store": b"junk",
            ".hidden/d.png": b"junk",
        }
    )
    assert list_zip_files(path) == ["cats/a.png", "cats/b.png", "dogs/c.png"]
    assert dict(iter_zip_files(path)) == {
        "cats/a.png": b"A",
        "cats/b.png": b"B",
        "dogs/c.png": b"C",
    }
    assert dict(iter_zip_files(path, names={"dogs/c.png"})) == {"dogs/c.png": b"C"}


@pytest.mark.parametrize(
    "name",
    [
        "../evil.png",
        "cats/../../evil.png",
        "/etc/evil.png",
        "C:/evil.png",
        "cats\\..\\..\\evil.png",
    ],
)
def test_unsafe_paths_reject_the_archive(write_zip, name):
    path = write_zip({"cats/a.png": b"A", name: b"evil"})
    with pytest.raises(ArchiveError, match="unsafe path"):
        list_zip_files(path)
    with pytest.raises(ArchiveError, match="unsafe path"):
        next(iter_zip_files(path))


def test_symlink_entry_rejects_the_archive(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("cats/a.png", b"A")
        info = zipfile.ZipInfo("cats/passwd.png")
        info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        list_zip_files(path)


def test_too_many_entries(write_zip):
    path = write_zip({f"c/{i}.png": b"x" for i in range(5)})
    with pytest.raises(ArchiveError, match="too many entries"):
        list_zip_files(path, ZipLimits(max_entries=4))


def test_zip_bomb_stops_at_the_ratio_while_streaming(write_zip):
    path = write_zip({"cats/bomb.png": bytes(50 * 2**20)})  # 50 MB of zeros, ~50 KB deflated
    stream = iter_zip_files(path)
    with pytest.raises(ArchiveError, match="expands more than 200 times"):
        next(stream)


def test_entry_and_total_caps(write_zip):
    random_bytes = os.urandom(300_000)  # incompressible: the ratio stays ~1
    path = write_zip({"a/1.png": random_bytes, "a/2.png": random_bytes})
    with pytest.raises(ArchiveError, match=r"'a/1.png' expands past 200,000 bytes"):
        list(iter_zip_files(path, ZipLimits(max_entry_bytes=200_000)))
    stream = iter_zip_files(path, ZipLimits(max_total_bytes=500_000))
    assert next(stream)[0] == "a/1.png"  # the first entry fits
    with pytest.raises(ArchiveError, match=r"past 500,000 bytes in all \(stopped at 'a/2.png'\)"):
        next(stream)


def test_small_uniform_files_pass_the_ratio_cap(write_zip):
    # A flat-colour image compresses ~1000:1; below the grace size that is no bomb.
    path = write_zip({"a/flat.bmp": bytes(500_000)})
    assert len(dict(iter_zip_files(path))["a/flat.bmp"]) == 500_000


@pytest.mark.parametrize("content", [os.urandom(2000), b"", b"PK\x03\x04 truncated"])
def test_unreadable_zip(tmp_path, content):
    path = tmp_path / "upload.zip"
    path.write_bytes(content)
    with pytest.raises(ArchiveError, match=r"^not a readable zip file"):
        list_zip_files(path)  # the caller names the file, once


def test_missing_file(tmp_path):
    with pytest.raises(ArchiveError, match="not a readable zip file"):
        list_zip_files(tmp_path / "nope.zip")


def test_corrupt_entry_data(tmp_path):
    path = tmp_path / "crc.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a/1.png", b"0123456789" * 10)
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"0123456789") + 3] ^= 0xFF  # flip a stored byte: the CRC no longer matches
    path.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match=r"'a/1.png' is corrupt"):
        list(iter_zip_files(path))


@pytest.mark.parametrize(
    ("method", "name"), [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")]
)
def test_bzip2_and_lzma_entries_are_refused_by_name_before_any_read(tmp_path, method, name):
    # zipfile decompresses all the input of a bzip2/LZMA read at once, with no output bound,
    # so such an entry is refused from the listing, before a byte of it is decompressed.
    path = tmp_path / "odd.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("dogs/ok.png", b"fine", compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("cats/huge.png", bytes(1000), compress_type=method)
    for read in (list_zip_files, lambda p: list(iter_zip_files(p))):
        with pytest.raises(
            ArchiveError,
            match=rf"zip entry 'cats/huge.png' is compressed with {name}; only stored and deflate",
        ):
            read(path)


def test_stored_and_deflated_entries_are_read(tmp_path):
    path = tmp_path / "ok.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a/stored.png", b"S" * 10, compress_type=zipfile.ZIP_STORED)
        zf.writestr("a/deflated.png", b"D" * 10, compress_type=zipfile.ZIP_DEFLATED)
    assert dict(iter_zip_files(path)) == {"a/stored.png": b"S" * 10, "a/deflated.png": b"D" * 10}


def test_long_entry_names_are_cut_in_messages(write_zip):
    long = "cats/" + "x" * 60_000 + ".png"
    path = write_zip({long: bytes(50 * 2**20)})
    with pytest.raises(ArchiveError) as info:
        list(iter_zip_files(path))
    assert len(str(info.value)) < 300 and "expands more than 200 times" in str(info.value)
