"""Safe zip extraction: wanted members, unsafe paths, zip bombs, malformed archives and the fallback."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import archive, catalog, inflate
from bilatrus_etl.ingest.archive import ArchiveError, MissingMemberError, extract

PROJECT = b'"id";"acronym";"title"\n"101";"ABC";"A project"\n' * 50
ORGANIZATION = b'"projectID";"name";"country"\n"101";"Lomonosov Moscow State University";"RU"\n' * 50
OTHER = b"code;title\nX;Y\n"


def _zip_bytes(members: dict[str, bytes], *, stream: bool = False) -> bytes:
    """A zip of `members`; stream=True writes it unseekably, so members carry data descriptors."""
    buffer = io.BytesIO()
    target = _Unseekable(buffer) if stream else buffer
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


class _Unseekable(io.RawIOBase):
    def __init__(self, inner: io.BytesIO) -> None:
        self.inner = inner

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data) -> int:
        return self.inner.write(data)

    def tell(self) -> int:
        raise OSError("unseekable")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _break_end_record(data: bytes) -> bytes:
    """Destroy the end-of-central-directory record: zipfile can no longer open the archive."""
    at = data.rfind(b"PK\x05\x06")
    return data[:at] + b"XX\x05\x06" + data[at + 4 :]


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


CORDIS = {"project.csv": PROJECT, "organization.csv": ORGANIZATION, "euroSciVoc.csv": OTHER}


def test_extracts_only_wanted_members(tmp_path: Path) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes(CORDIS))
    out = extract(zip_path, tmp_path / "out", dataset="cordis_h2020", members=["project.csv", "organization.csv"])
    assert out == {"project.csv": tmp_path / "out/project.csv", "organization.csv": tmp_path / "out/organization.csv"}
    assert out["project.csv"].read_bytes() == PROJECT
    assert out["organization.csv"].read_bytes() == ORGANIZATION
    assert _listing(tmp_path / "out") == ["organization.csv", "project.csv"]  # no temp files, no extras


def test_members_match_basename_case_insensitively(tmp_path: Path) -> None:
    members = {"csv/Project.CSV": PROJECT, "csv/organization.csv": ORGANIZATION}
    zip_path = _write(tmp_path / "a.zip", _zip_bytes(members))
    out = extract(zip_path, tmp_path / "out", members=["project.csv"])
    assert out == {"project.csv": tmp_path / "out/Project.CSV"}
    assert out["project.csv"].read_bytes() == PROJECT


def test_dataset_gives_its_expected_members(tmp_path: Path) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes(CORDIS))
    out = extract(zip_path, tmp_path / "out", dataset=catalog.load_catalog()["cordis_fp7"])
    assert sorted(out) == ["organization.csv", "project.csv"]
    assert _listing(tmp_path / "out") == ["organization.csv", "project.csv"]


def test_all_members_when_none_wanted(tmp_path: Path) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes({"a.csv": b"1", "sub/b.csv": b"22", "sub/": b""}))
    out = extract(zip_path, tmp_path / "out")
    assert {k: v.read_bytes() for k, v in out.items()} == {"a.csv": b"1", "sub/b.csv": b"22"}
    assert out["sub/b.csv"] == tmp_path / "out/sub/b.csv"


def test_ror_patterns_prefer_schema_v2(tmp_path: Path) -> None:
    ror = catalog.load_catalog()["ror_dump"]
    old = _write(
        tmp_path / "old.zip",
        _zip_bytes(
            {
                "v1.50-2024-08-21-ror-data.json": b"[v1]",
                "v1.50-2024-08-21-ror-data_schema_v2.json": b"[v2]",
                "v1.50-2024-08-21-ror-data.csv": b"csv",
            }
        ),
    )
    out = extract(old, tmp_path / "old", dataset=ror)
    assert out == {"ror-data.json": tmp_path / "old/v1.50-2024-08-21-ror-data_schema_v2.json"}
    assert out["ror-data.json"].read_bytes() == b"[v2]"
    new = _write(
        tmp_path / "new.zip",
        _zip_bytes({"v2.0-2025-12-16-ror-data.json": b"[v2 only]", "v2.0-2025-12-16-ror-data.csv": b"csv"}),
    )
    out = extract(new, tmp_path / "new", dataset=ror)
    assert out["ror-data.json"].read_bytes() == b"[v2 only]"
    assert _listing(tmp_path / "new") == ["v2.0-2025-12-16-ror-data.json"]
    # the dataset key and the catalog's member names are enough: the catalog's patterns apply
    again = extract(new, tmp_path / "again", dataset="ror_dump", members=list(ror.members))
    assert again == {"ror-data.json": tmp_path / "again/v2.0-2025-12-16-ror-data.json"}


def test_ror_real_sample_through_the_catalog_patterns(shared_file, tmp_path: Path) -> None:
    sample = shared_file("registries/ror-ru-sample-schema-v2.json").read_bytes()
    zip_path = _write(tmp_path / "v2.0-2025-12-16-ror-data.zip", _zip_bytes({"v2.0-2025-12-16-ror-data.json": sample}))
    out = extract(zip_path, tmp_path / "out", dataset=catalog.load_catalog()["ror_dump"])
    assert out["ror-data.json"].read_bytes() == sample


def test_ambiguous_member_is_an_error(tmp_path: Path) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes({"a/project.csv": b"1", "b/project.csv": b"2"}))
    with pytest.raises(ArchiveError, match="several members matching 'project.csv'.*a/project.csv, b/project.csv"):
        extract(zip_path, tmp_path / "out", members=["project.csv"])


def test_missing_member_lists_the_archive(tmp_path: Path) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes({"project.csv": PROJECT, "topics.csv": OTHER}))
    with pytest.raises(MissingMemberError) as caught:
        extract(zip_path, tmp_path / "out", dataset="cordis_he", members=["project.csv", "organization.csv"])
    message = str(caught.value)
    assert "Dataset 'cordis_he'" in message and "lacks organization.csv" in message
    assert "it holds: project.csv, topics.csv" in message
    assert _listing(tmp_path / "out") == []  # nothing half-extracted


def test_not_a_zip_html_page(tmp_path: Path) -> None:
    page = _write(tmp_path / "cordis.zip", b"<!DOCTYPE html>\n<html><body>Maintenance</body></html>")
    with pytest.raises(ArchiveError) as caught:
        extract(page, tmp_path / "out", dataset="cordis_fp7", members=["project.csv"])
    message = str(caught.value)
    assert "Dataset 'cordis_fp7'" in message and "is not a zip archive" in message and "HTML" in message
    assert str(page) in message
    assert isinstance(caught.value, BilatrusError)


def test_not_a_zip_empty_and_missing(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="is not a zip archive.*It is empty"):
        extract(_write(tmp_path / "e.zip", b""), tmp_path / "out", dataset="x")
    with pytest.raises(ArchiveError, match="does not exist"):
        extract(tmp_path / "missing.zip", tmp_path / "out", dataset="x")


@pytest.mark.parametrize(
    "bad_name", ["../evil.csv", "/etc/evil.csv", "C:/evil.csv", "data/../../evil.csv", "..\\evil.csv"]
)
def test_unsafe_member_path_is_refused(tmp_path: Path, bad_name: str) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes({"project.csv": PROJECT, bad_name: b"pwned"}))
    dest = tmp_path / "deep" / "out"
    with pytest.raises(ArchiveError, match="unsafe path"):
        extract(zip_path, dest, dataset="cordis_h2020")
    with pytest.raises(ArchiveError, match="unsafe path"):
        extract(zip_path, dest, dataset="cordis_h2020", members=["project.csv"])
    assert [p.name for p in tmp_path.rglob("*evil*")] == []
    assert _listing(dest) == []


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    bomb = _write(tmp_path / "bomb.zip", _zip_bytes({"project.csv": b"\0" * (20 << 20), "organization.csv": b"x"}))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ArchiveError, match="zip bomb") as caught:
        extract(bomb, tmp_path / "out", dataset="cordis_h2020", members=["project.csv", "organization.csv"])
    assert "project.csv" in str(caught.value)
    assert _listing(tmp_path / "out") == []


def test_zip_bomb_ratio_is_refused_in_the_fallback_too(tmp_path: Path) -> None:
    data = _break_end_record(_zip_bytes({"project.csv": b"\0" * (20 << 20)}, stream=True))
    bomb = _write(tmp_path / "bomb.zip", data)
    with pytest.raises(ArchiveError, match="zip bomb"):
        extract(bomb, tmp_path / "out", dataset="cordis_h2020", members=["project.csv"])
    assert _listing(tmp_path / "out") == []


def test_total_size_cap(tmp_path: Path) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes(CORDIS))
    cap = len(PROJECT) + len(ORGANIZATION) - 1
    with pytest.raises(ArchiveError, match=f"cap of {cap} bytes"):
        extract(zip_path, tmp_path / "out", members=["project.csv", "organization.csv"], max_total_bytes=cap)
    assert _listing(tmp_path / "out") == []
    broken = _write(tmp_path / "b.zip", _break_end_record(_zip_bytes(CORDIS)))
    with pytest.raises(ArchiveError, match=f"cap of {cap} bytes"):
        extract(broken, tmp_path / "out", members=["project.csv", "organization.csv"], max_total_bytes=cap)
    assert _listing(tmp_path / "out") == []


def test_fallback_reads_zip_without_central_directory(tmp_path: Path) -> None:
    data = _break_end_record(_zip_bytes(CORDIS))
    zip_path = _write(tmp_path / "a.zip", data)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(zip_path)
    out = extract(zip_path, tmp_path / "out", dataset="cordis_h2020", members=["project.csv", "organization.csv"])
    assert out["project.csv"].read_bytes() == PROJECT
    assert out["organization.csv"].read_bytes() == ORGANIZATION
    assert _listing(tmp_path / "out") == ["organization.csv", "project.csv"]


def test_fallback_reads_members_with_wrong_sizes_in_central_directory(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes(CORDIS))
    entry = data.find(b"PK\x01\x02")  # first central directory entry: project.csv
    real = struct.unpack_from("<I", data, entry + 20)[0]
    struct.pack_into("<II", data, entry + 20, real - 7, len(PROJECT) + 100)  # wrong compressed and real sizes
    zip_path = _write(tmp_path / "a.zip", bytes(data))
    with zipfile.ZipFile(zip_path) as zf, pytest.raises((zipfile.BadZipFile, EOFError)):
        zf.read("project.csv")
    out = extract(zip_path, tmp_path / "out", members=["project.csv", "organization.csv"])
    assert out["project.csv"].read_bytes() == PROJECT
    assert out["organization.csv"].read_bytes() == ORGANIZATION


def test_fallback_reads_data_descriptors(tmp_path: Path) -> None:
    data = _zip_bytes({"project.csv": PROJECT, "empty.csv": b"", "organization.csv": ORGANIZATION}, stream=True)
    assert struct.unpack_from("<H", data, 6)[0] & 0x8  # sizes come after the data
    cut = data[: data.find(b"PK\x01\x02")]  # no central directory at all
    out = extract(_write(tmp_path / "a.zip", cut), tmp_path / "out", members=["organization.csv", "empty.csv"])
    assert out["organization.csv"].read_bytes() == ORGANIZATION
    assert out["empty.csv"].read_bytes() == b""


def test_fallback_reads_stored_members(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("project.csv", PROJECT)
        zf.writestr("organization.csv", ORGANIZATION)
    zip_path = _write(tmp_path / "a.zip", _break_end_record(buffer.getvalue()))
    out = extract(zip_path, tmp_path / "out", members=["organization.csv"])
    assert out["organization.csv"].read_bytes() == ORGANIZATION


def test_fallback_finds_members_missing_from_central_directory(tmp_path: Path) -> None:
    both = _zip_bytes({"project.csv": PROJECT, "organization.csv": ORGANIZATION})
    only = _zip_bytes({"project.csv": PROJECT})
    local_entries = both[: both.find(b"PK\x01\x02")]
    directory = bytearray(only[only.find(b"PK\x01\x02") :])  # lists project.csv alone
    end = directory.rfind(b"PK\x05\x06")
    struct.pack_into("<I", directory, end + 16, len(local_entries))  # where the directory now starts
    zip_path = _write(tmp_path / "a.zip", local_entries + bytes(directory))
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ["project.csv"]
    out = extract(zip_path, tmp_path / "out", members=["project.csv", "organization.csv"])
    assert out["organization.csv"].read_bytes() == ORGANIZATION
    assert out["project.csv"].read_bytes() == PROJECT
    with pytest.raises(MissingMemberError, match="lacks topics.csv; it holds: project.csv"):
        extract(zip_path, tmp_path / "out", members=["project.csv", "topics.csv"])


def test_fallback_detects_damaged_data(tmp_path: Path) -> None:
    data = bytearray(_break_end_record(_zip_bytes({"project.csv": PROJECT})))
    name_end = 30 + len("project.csv")
    for offset in range(name_end + 5, name_end + 25):
        data[offset] ^= 0xFF
    with pytest.raises(ArchiveError, match="project.csv .*(damaged|cut short)"):
        extract(
            _write(tmp_path / "a.zip", bytes(data)), tmp_path / "out", dataset="cordis_fp7", members=["project.csv"]
        )
    assert _listing(tmp_path / "out") == []


def test_fallback_on_real_h2020_organization_sample(shared_file, tmp_path: Path) -> None:
    sample = shared_file("cordis/official-layout/h2020-organization-sample.csv").read_bytes()
    data = _break_end_record(_zip_bytes({"project.csv": PROJECT, "organization.csv": sample}, stream=True))
    out = extract(
        _write(tmp_path / "cordis-h2020projects-csv.zip", data),
        tmp_path / "out",
        dataset=catalog.load_catalog()["cordis_h2020"],
    )
    assert out["organization.csv"].read_bytes() == sample
    assert out["project.csv"].read_bytes() == PROJECT


def test_re_extraction_replaces_files(tmp_path: Path) -> None:
    zip_path = _write(tmp_path / "a.zip", _zip_bytes({"project.csv": b"old"}))
    extract(zip_path, tmp_path / "out", members=["project.csv"])
    _write(zip_path, _zip_bytes({"project.csv": b"new"}))
    out = extract(zip_path, tmp_path / "out", members=["project.csv"])
    assert out["project.csv"].read_bytes() == b"new"
    assert archive.DEFAULT_MAX_RATIO >= 50  # real CSV/JSON compress 5-20x; the default leaves room


def test_large_members_inflate_exactly_across_chunks(tmp_path: Path) -> None:
    """Members larger than the inflater's input chunk and output block come out byte for byte."""
    rows = b"".join(b'"%d";"Institute %d of %d";"RU"\n' % (i, i * 7919 % 100_003, i % 97) for i in range(400_000))
    assert len(rows) > 2 * inflate.BLOCK_SIZE
    noise = random.Random(14).randbytes(inflate.CHUNK_SIZE + 300_000)  # incompressible: two input chunks
    zip_path = _write(tmp_path / "a.zip", _zip_bytes({"organization.csv": rows, "project.csv": noise}))
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.getinfo("project.csv").compress_size > inflate.CHUNK_SIZE
    out = extract(zip_path, tmp_path / "out", members=["project.csv", "organization.csv"])
    assert out["organization.csv"].read_bytes() == rows
    assert out["project.csv"].read_bytes() == noise


def test_damaged_data_behind_a_sound_directory_is_an_error(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes({"project.csv": PROJECT, "organization.csv": ORGANIZATION}))
    name_end = 30 + len("project.csv")
    for offset in range(name_end + 5, name_end + 25):
        data[offset] ^= 0xFF
    zip_path = _write(tmp_path / "a.zip", bytes(data))
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ["project.csv", "organization.csv"]
    with pytest.raises(ArchiveError, match="project.csv .*(damaged|cut short)"):
        extract(zip_path, tmp_path / "out", dataset="cordis_fp7", members=["project.csv", "organization.csv"])
    assert _listing(tmp_path / "out") == []


def test_a_directory_that_understates_sizes_or_crc_falls_back_on_the_local_headers(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes(CORDIS))
    entry = data.find(b"PK\x01\x02")  # first central directory entry: project.csv
    crc = struct.unpack_from("<I", data, entry + 16)[0]
    struct.pack_into("<I", data, entry + 16, crc ^ 1)  # a wrong CRC-32
    struct.pack_into("<I", data, entry + 24, len(PROJECT) - 10)  # a real size 10 bytes short
    zip_path = _write(tmp_path / "a.zip", bytes(data))
    out = extract(zip_path, tmp_path / "out", members=["project.csv", "organization.csv"])
    assert out["project.csv"].read_bytes() == PROJECT
    assert out["organization.csv"].read_bytes() == ORGANIZATION
