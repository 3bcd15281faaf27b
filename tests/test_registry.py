"""The ROR dump reader on the real schema v1 and v2 samples, zipped dumps, and country filtering."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from bilatrus_etl.institutions import registry, ror_schema
from bilatrus_etl.institutions.registry import filter_country, read_registries, read_registry
from bilatrus_etl.institutions.ror_schema import COLUMNS, RegistryError, parse_record, short_ror_id

V2 = "registries/ror-ru-sample-schema-v2.json"
V1 = "registries/ror-ru-sample-schema-v1.json"


@pytest.fixture(scope="module")
def v2_frame(shared_file) -> pd.DataFrame:
    return read_registry(shared_file(V2))


@pytest.fixture(scope="module")
def v1_frame(shared_file) -> pd.DataFrame:
    return read_registry(shared_file(V1))


def row(frame: pd.DataFrame, ror_id: str) -> pd.Series:
    matches = frame[frame["ror_id"] == ror_id]
    assert len(matches) == 1, ror_id
    return matches.iloc[0]


def test_schema_v2_sample_counts(v2_frame: pd.DataFrame) -> None:
    assert list(v2_frame.columns) == list(COLUMNS)
    assert len(v2_frame) == 316
    assert v2_frame["ror_id"].is_unique
    assert set(v2_frame["schema_version"]) == {"2"}
    assert set(v2_frame["country_code"]) == {"RU"}
    assert v2_frame["status"].value_counts().to_dict() == {"active": 306, "inactive": 5, "withdrawn": 5}


def test_schema_v2_lomonosov_moscow_state_university(v2_frame: pd.DataFrame) -> None:
    msu = row(v2_frame, "010pmpe69")
    assert msu["display_name"] == "Lomonosov Moscow State University"
    assert msu["name_en"] == "Lomonosov Moscow State University"
    assert msu["name_ru"] == "Московский государственный университет имени М.В. Ломоносова"
    assert msu["aliases"] == ["Moscow State University", "Московский государственный университет"]
    assert msu["acronyms"] == ["MSU"]
    assert "Moscow State University" in msu["labels"] and "MSU" in msu["labels"]
    assert msu["types"] == ["education", "funder"]
    assert (msu["city"], msu["country_code"], msu["status"], msu["established"]) == ("Moscow", "RU", "active", 1755)
    assert msu["lat"] == pytest.approx(55.75222) and msu["lon"] == pytest.approx(37.61556)
    assert msu["grid_id"] == "grid.14476.30" and msu["wikidata_id"] == "Q13164"
    external = json.loads(msu["external_ids"])
    assert external["Wikidata"] == {"preferred": "Q13164", "all": ["Q13164", "Q1853182"]}
    assert external["ISNI"]["all"] == ["0000 0001 2342 9668"]
    assert external["FundRef"]["preferred"] == "501100016971"
    assert pd.isna(msu["parent_ror_id"]) and msu["child_ror_ids"] == []


def test_schema_v2_relationships(v2_frame: pd.DataFrame) -> None:
    issp = row(v2_frame, "00ezjkn15")  # Osipyan Institute of Solid State Physics RAS
    assert issp["parent_ror_id"] == "00ns9pc83"
    division = row(v2_frame, "00ns9pc83")  # RAS Physical Sciences Division
    assert "00ezjkn15" in division["child_ror_ids"] and division["parent_ror_ids"] == ["05qrfxd25"]
    kazan_energy = row(v2_frame, "05ts7ya70")
    assert kazan_energy["status"] == "withdrawn" and kazan_energy["successor_ror_ids"] == ["0326g9440"]


def test_schema_v1_sample(v1_frame: pd.DataFrame) -> None:
    assert len(v1_frame) == 250
    assert set(v1_frame["schema_version"]) == {"1"}
    assert v1_frame["status"].value_counts().to_dict() == {"active": 191, "withdrawn": 53, "inactive": 6}
    kurchatov = row(v1_frame, "00n1nz186")
    assert kurchatov["display_name"] == "Kurchatov Institute"
    assert kurchatov["name_ru"] == "Курчатовский институт"
    assert "National Research Centre Kurchatov Institute" in kurchatov["aliases"]
    assert (kurchatov["city"], kurchatov["country_code"], kurchatov["established"]) == ("Moscow", "RU", 1943)
    assert kurchatov["types"] == ["facility"] and kurchatov["child_ror_ids"] == ["01wp2jz98"]
    assert kurchatov["grid_id"] == "grid.18919.38"  # v1 stores GRID 'all' as a bare string
    assert json.loads(kurchatov["external_ids"])["GRID"]["all"] == ["grid.18919.38"]
    lebedev = row(v1_frame, "01jkd3546")
    assert lebedev["parent_ror_ids"] == ["00bg9m975", "00ns9pc83"] and lebedev["parent_ror_id"] == "00bg9m975"
    assert lebedev["acronyms"] == ["LPI RAS", "FIAN", "LPI"]


def test_both_samples_together(shared_file) -> None:
    both = read_registries([shared_file(V2), shared_file(V1)])
    assert len(both) == 566 and both["ror_id"].is_unique
    assert set(both["schema_version"]) == {"1", "2"}


def test_schema_detected_per_record(shared_file, tmp_path: Path) -> None:
    v1_record = json.loads(shared_file(V1).read_text(encoding="utf-8"))[0]
    v2_record = json.loads(shared_file(V2).read_text(encoding="utf-8"))[0]
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps([v1_record, v2_record]), encoding="utf-8")
    frame = read_registry(mixed)
    assert list(frame["schema_version"]) == ["1", "2"]
    assert list(frame["ror_id"]) == ["001pj0680", "000es9t33"]


def test_streaming_parser_handles_tiny_chunks(shared_file, monkeypatch) -> None:
    monkeypatch.setattr(registry, "_CHUNK_CHARS", 97)
    frame = read_registry(shared_file(V2))
    assert len(frame) == 316 and frame["ror_id"].iloc[-1] == "05y09dk26"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zenodo_zip_prefers_schema_v2(shared_file, tmp_path: Path) -> None:
    dump = _zip(
        tmp_path / "v1.58-2024-12-11-ror-data.zip",
        {
            "v1.58-2024-12-11-ror-data.csv": b"id,name\n",
            "v1.58-2024-12-11-ror-data.json": shared_file(V1).read_bytes(),
            "v1.58-2024-12-11-ror-data_schema_v2.csv": b"id,names.types.ror_display\n",
            "v1.58-2024-12-11-ror-data_schema_v2.json": shared_file(V2).read_bytes(),
        },
    )
    frame = read_registry(dump)
    assert len(frame) == 316 and set(frame["schema_version"]) == {"2"}
    assert frame["source_file"].iloc[0] == "v1.58-2024-12-11-ror-data.zip:v1.58-2024-12-11-ror-data_schema_v2.json"


def test_zip_detects_v2_by_content(shared_file, tmp_path: Path) -> None:
    dump = _zip(
        tmp_path / "dump.zip",
        {"a-ror-data.json": shared_file(V1).read_bytes(), "b-ror-data.json": shared_file(V2).read_bytes()},
    )
    assert set(read_registry(dump)["schema_version"]) == {"2"}
    only_v1 = _zip(tmp_path / "old.zip", {"v1.20-ror-data.json": shared_file(V1).read_bytes()})
    assert len(read_registry(only_v1)) == 250


def test_bad_inputs_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="missing.json.*does not exist"):
        read_registry(tmp_path / "missing.json")
    truncated = tmp_path / "truncated.json"
    truncated.write_text('[{"id": "https://ror.org/010pmpe69", "name": "Lomonosov"', encoding="utf-8")
    with pytest.raises(RegistryError, match="truncated.json"):
        read_registry(truncated)
    not_array = tmp_path / "object.json"
    not_array.write_text('{"items": []}', encoding="utf-8")
    with pytest.raises(RegistryError, match="object.json.*JSON array"):
        read_registry(not_array)
    no_json = _zip(tmp_path / "nojson.zip", {"readme.txt": b"hello"})
    with pytest.raises(RegistryError, match="nojson.zip holds no JSON"):
        read_registry(no_json)


def _v2_record(ror: str, name: str, country: str, relations: list[tuple[str, str]]) -> dict:
    return {
        "id": f"https://ror.org/{ror}",
        "names": [{"lang": "en", "types": ["ror_display", "label"], "value": name}],
        "locations": [{"geonames_details": {"country_code": country, "name": "X", "lat": 0, "lng": 0}}],
        "relationships": [{"type": kind, "id": f"https://ror.org/{other}", "label": ""} for kind, other in relations],
        "external_ids": [],
        "status": "active",
        "types": ["facility"],
        "established": None,
    }


def test_filter_country_keeps_parents_and_children_elsewhere() -> None:
    records = [
        _v2_record("0aaaaaa11", "Russian institute", "RU", [("parent", "0bbbbbb22"), ("child", "0cccccc33")]),
        _v2_record("0bbbbbb22", "German parent society", "DE", [("child", "0aaaaaa11")]),
        _v2_record("0cccccc33", "US lab of the Russian institute", "US", [("parent", "0aaaaaa11")]),
        _v2_record("0dddddd44", "Unrelated French lab", "FR", []),
        _v2_record("0eeeeee55", "Finnish partner naming the institute as its child", "FI", [("child", "0aaaaaa11")]),
    ]
    frame = ror_schema.organizations_frame(parse_record(r, "test") for r in records)
    kept = filter_country(frame, "ru")
    assert set(kept["ror_id"]) == {"0aaaaaa11", "0bbbbbb22", "0cccccc33", "0eeeeee55"}


def test_filter_country_on_real_sample(v2_frame: pd.DataFrame) -> None:
    assert len(filter_country(v2_frame, "RU")) == 316
    assert filter_country(v2_frame, "FR").empty


@pytest.mark.parametrize(
    ("value", "expected"),
    [("https://ror.org/010pmpe69", "010pmpe69"), ("010PMPE69", "010pmpe69"), ("  ", None), (None, None)],
)
def test_short_ror_id(value: str | None, expected: str | None) -> None:
    assert short_ror_id(value) == expected


def test_iter_json_array_reports_stray_comma() -> None:
    with pytest.raises(RegistryError, match="stray"):
        list(registry.iter_json_array(io.StringIO("[,{}]"), "x.json"))
