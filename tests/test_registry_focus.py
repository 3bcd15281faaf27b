"""The focus-country reader (`read_focus_registry`) gives exactly `filter_country(read_registry(...))`: on the
real v1 and v2 samples and on a generated multi-country dump with links across countries; and the generator of
full-size dumps (`synthetic_ror`)."""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from bilatrus_etl.institutions import registry, registry_scan
from bilatrus_etl.institutions.registry import filter_country, read_focus_registry, read_registry
from bilatrus_etl.institutions.ror_schema import TEXT_COLUMNS, RegistryError, short_ror_id
from bilatrus_etl_synthetic import ror as synthetic_ror

V2 = "registries/ror-ru-sample-schema-v2.json"
V1 = "registries/ror-ru-sample-schema-v1.json"


def _old(path: Path, country: str) -> pd.DataFrame:
    return filter_country(read_registry(path), country.upper())


@pytest.mark.parametrize("sample", [V1, V2])
@pytest.mark.parametrize("country", ["RU", "ru", "FR"])
def test_same_frame_as_reading_everything_on_the_real_samples(shared_file, sample, country) -> None:
    path = shared_file(sample)
    fast = read_focus_registry(path, country)
    pd.testing.assert_frame_equal(fast, _old(path, country))
    assert len(fast) == {"RU": {V1: 250, V2: 316}[sample], "FR": 0}[country.upper()]


def test_same_frame_with_tiny_chunks(shared_file, monkeypatch) -> None:
    monkeypatch.setattr(registry, "_CHUNK_CHARS", 97)
    path = shared_file(V2)
    pd.testing.assert_frame_equal(read_focus_registry(path, "RU"), _old(path, "RU"))


def _v2(ror: str, name: str, country: str, relations: list[tuple[str, str]] = ()) -> dict:
    return {
        "id": f"https://ror.org/{ror}",
        "names": [
            {"lang": "en", "types": ["ror_display", "label"], "value": name},
            {"lang": "ru", "types": ["label"], "value": name + " (ru)"},
        ],
        "locations": [{"geonames_details": {"country_code": country, "name": "X", "lat": 1.5, "lng": 2.5}}],
        "relationships": [{"type": kind, "id": f"https://ror.org/{other}", "label": ""} for kind, other in relations],
        "external_ids": [{"type": "grid", "all": ["grid.1.a"], "preferred": "grid.1.a"}],
        "status": "active",
        "types": ["facility"],
        "established": 1950,
    }


def _multi_country_dump(tmp_path: Path, shared_file) -> tuple[Path, set[str]]:
    """Real Russian records, 400 generated ones of other countries, and hand-made links across countries."""
    russian = json.loads(shared_file(V2).read_text(encoding="utf-8"))[:30]
    filler = list(synthetic_ror.filler_records(400, seed=7))
    linked = [
        _v2(
            "0aaaaaa11",
            "Russian institute",
            "RU",
            [("parent", "0bbbbbb22"), ("child", "0cccccc33"), ("successor", "0fffff66"), ("related", "0ggggg77")],
        ),
        _v2("0bbbbbb22", "German parent society", "DE", [("child", "0aaaaaa11")]),
        _v2("0cccccc33", "US lab of the Russian institute", "US", [("parent", "0aaaaaa11")]),
        _v2("0eeeeee55", "Finnish body naming the institute as its child", "FI", [("child", "0aaaaaa11")]),
        _v2("0fffff66", "French successor without relationships", "FR"),  # found by the second pass
        _v2("0ggggg77", "Related only: not kept", "IT", [("related", "0aaaaaa11")]),
        _v2("0hhhhh88", "Unrelated Dutch lab", "NL"),
        _v2("0iiiii99", "Lower-case country code", "ru"),
    ]
    records = linked[:3] + filler[:200] + russian + linked[3:] + filler[200:]
    path = tmp_path / "v2.0-2025-12-16-ror-data.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("v2.0-2025-12-16-ror-data_schema_v2.csv", "id\n")
        archive.writestr("v2.0-2025-12-16-ror-data_schema_v2.json", json.dumps(records, indent=1))
    expected = {short_ror_id(r["id"]) for r in russian}
    expected |= {"0aaaaaa11", "0bbbbbb22", "0cccccc33", "0eeeeee55", "0fffff66", "0iiiii99"}
    return path, expected


def test_same_frame_on_a_generated_multi_country_dump(tmp_path, shared_file) -> None:
    path, expected = _multi_country_dump(tmp_path, shared_file)
    fast = read_focus_registry(path, "RU")
    pd.testing.assert_frame_equal(fast, _old(path, "RU"))
    assert set(fast["ror_id"]) == expected and len(fast) == 36
    assert fast.loc[fast["ror_id"] == "0bbbbbb22", "child_ror_ids"].iloc[0] == ["0aaaaaa11"]
    # another focus country: the generated records' own links are followed the same way
    country = Counter(
        r["locations"][0]["geonames_details"]["country_code"] for r in synthetic_ror.filler_records(400, seed=7)
    ).most_common(1)[0][0]
    pd.testing.assert_frame_equal(read_focus_registry(path, country), _old(path, country))
    assert len(read_focus_registry(path, country)) > 20


def test_bad_records_fail_as_in_the_full_reader(tmp_path) -> None:
    not_object = tmp_path / "items.json"
    not_object.write_text(json.dumps([_v2("0aaaaaa11", "A", "RU"), 5]), encoding="utf-8")
    with pytest.raises(RegistryError, match="item 1 is not a JSON object"):
        read_focus_registry(not_object, "RU")
    nameless = tmp_path / "nameless.json"
    nameless.write_text(json.dumps([{"id": "https://ror.org/0bbbbbb22", "locations": []}]), encoding="utf-8")
    with pytest.raises(RegistryError, match="neither 'names'"):
        read_focus_registry(nameless, "RU")
    truncated = tmp_path / "truncated.json"
    truncated.write_text(json.dumps([_v2("0aaaaaa11", "A", "DE")])[:-30], encoding="utf-8")
    with pytest.raises(RegistryError, match="truncated.json"):
        read_focus_registry(truncated, "RU")
    with pytest.raises(RegistryError, match="does not exist"):
        read_focus_registry(tmp_path / "missing.zip", "RU")


def test_filler_records_are_deterministic_foreign_and_linked() -> None:
    first = list(synthetic_ror.filler_records(300, seed=3, taken={"https://ror.org/0zzzzzz00"}))
    assert first == list(synthetic_ror.filler_records(300, seed=3))
    ids = {r["id"] for r in first}
    assert len(first) == len(ids) == 300
    countries = Counter(r["locations"][0]["geonames_details"]["country_code"] for r in first)
    assert "RU" not in countries and len(countries) > 30
    relations = [(r["id"], rel["type"], rel["id"]) for r in first for rel in r["relationships"]]
    assert all(other in ids for _, _, other in relations)
    parents = {(child, parent) for child, kind, parent in relations if kind == "parent"}
    children = {(child, parent) for parent, kind, child in relations if kind == "child"}
    assert parents == children and len(parents) > 30
    assert all(sum("ror_display" in n["types"] for n in r["names"]) == 1 for r in first)
    # the real dump's record size: 120,000 records make 200+ MB of JSON
    assert sum(len(json.dumps(r, ensure_ascii=False)) for r in first) / 300 * synthetic_ror.FULL_ROR_RECORDS > 200e6


def test_write_mirror_pads_the_ror_dump_to_the_asked_size(tmp_path) -> None:
    from bilatrus_etl_synthetic.layout import ROR_CSV_MEMBER, ROR_JSON_MEMBER, ROR_ZIP
    from bilatrus_etl_synthetic.mirror import write_mirror

    manifest = write_mirror(tmp_path, scale=0.001, programmes=("HE",), ror_records=500)
    assert manifest["ror_records"] == 500 and manifest["ror"]["records"] == 500
    path = tmp_path / ROR_ZIP
    with zipfile.ZipFile(path) as archive:
        records = json.loads(archive.read(ROR_JSON_MEMBER))
        csv_lines = archive.read(ROR_CSV_MEMBER).decode("utf-8").splitlines()
    assert (
        len(records) == 500 == len(csv_lines) - 1 == manifest["files"][ROR_ZIP]["members"][ROR_JSON_MEMBER]["records"]
    )
    assert manifest["ror"]["filler_records"] == 500 - (manifest["ror"]["records"] - manifest["ror"]["filler_records"])
    # the padding is of other countries and not linked to the focus country: the focus table is unchanged
    focus = read_focus_registry(path, "RU")
    assert len(focus) == manifest["ror"]["ru_records"]
    pd.testing.assert_frame_equal(focus, _old(path, "RU"))


@pytest.mark.parametrize("sample", [V1, V2])
def test_real_samples_take_the_duckdb_scan(shared_file, sample) -> None:
    path = shared_file(sample)
    scanned = registry_scan.focus_records(path, "RU")
    assert scanned is not None and len(scanned) == {V1: 250, V2: 316}[sample]
    assert [item for item, _ in scanned] == sorted(item for item, _ in scanned)


def test_scan_of_a_multi_country_json_dump_keeps_what_the_python_reader_keeps(tmp_path, shared_file) -> None:
    archive_path, expected = _multi_country_dump(tmp_path, shared_file)
    with zipfile.ZipFile(archive_path) as archive:
        text = archive.read("v2.0-2025-12-16-ror-data_schema_v2.json").decode("utf-8")
    path = tmp_path / "dump.json"
    path.write_text("\ufeff" + text, encoding="utf-8")  # with a byte-order mark, as some exports have
    scanned = registry_scan.focus_records(path, "RU")
    assert scanned is not None
    assert {short_ror_id(json.loads(record)["id"]) for _, record in scanned} == expected
    fast = read_focus_registry(path, "RU")
    pd.testing.assert_frame_equal(fast, _old(path, "RU"))
    pd.testing.assert_frame_equal(
        fast.drop(columns="source_file"), read_focus_registry(archive_path, "RU").drop(columns="source_file")
    )


@pytest.mark.parametrize(
    "odd",
    [
        {"locations": "Moscow"},  # a location that is not a list of objects
        {"relationships": [{"type": "parent", "id": "ror.org 0bbbbbb22"}]},  # a relationship id not a ROR id
        {"relationships": ["0bbbbbb22"]},  # a relationship that is not an object
        {"id": "https://ror.org/0aaa aaa11"},  # an id that is not a ROR id
        {"locations": [{"geonames_details": {"country_code": "ſU"}}]},  # a country code that is not ASCII
    ],
)
def test_an_item_of_another_shape_hands_the_dump_to_the_python_reader(tmp_path, odd) -> None:
    records = [_v2("0aaaaaa11", "Russian institute", "RU", [("parent", "0bbbbbb22")]), _v2("0bbbbbb22", "P", "DE")]
    records.append({**_v2("0ccccccc3", "Other", "FR"), **odd})
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    assert registry_scan.focus_records(path, "RU") is None
    try:
        expected = _old(path, "RU")
    except RegistryError as err:
        with pytest.raises(RegistryError, match=re.escape(str(err)[:40])):
            read_focus_registry(path, "RU")
    else:
        # no record has a Wikidata id here: the full reader leaves that column untyped, the focus reader types it
        expected = expected.astype({column: "str" for column in TEXT_COLUMNS})
        pd.testing.assert_frame_equal(read_focus_registry(path, "RU"), expected)
        assert set(expected["ror_id"]) >= {"0aaaaaa11", "0bbbbbb22"}


def test_a_file_duckdb_cannot_read_is_named_by_the_python_reader(tmp_path) -> None:
    path = tmp_path / "object.json"
    path.write_text(json.dumps({"records": [_v2("0aaaaaa11", "A", "RU")]}), encoding="utf-8")
    assert registry_scan.focus_records(path, "RU") is None
    with pytest.raises(RegistryError, match="object.json does not start with a JSON array"):
        read_focus_registry(path, "RU")


def test_a_second_read_numbered_otherwise_hands_the_dump_to_the_python_reader(tmp_path, monkeypatch) -> None:
    records = [_v2("0aaaaaa11", "Russian institute", "RU", [("parent", "0bbbbbb22")]), _v2("0bbbbbb22", "P", "DE")]
    records.append(_v2("0ccccccc3", "Other", "FR"))
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    assert [item for item, _ in registry_scan.focus_records(path, "RU") or []] == [0, 1]
    text = registry_scan.queries.query_text

    def shifted(name: str) -> str:  # the text of the item after each one kept: not the record the scan chose
        sql = text(name)
        return sql.replace("ordinality - 1 AS item", "ordinality - 2 AS item") if name == "ror_focus_records" else sql

    monkeypatch.setattr(registry_scan.queries, "query_text", shifted)
    assert registry_scan.focus_records(path, "RU") is None
    pd.testing.assert_frame_equal(
        read_focus_registry(path, "RU"), _old(path, "RU").astype({column: "str" for column in TEXT_COLUMNS})
    )


@pytest.mark.parametrize(("country", "rows"), [("RU", 316), ("FR", 0)])
def test_dim_ror_institution_has_its_declared_types_whatever_the_records_hold(shared_file, country, rows) -> None:
    """The table's columns and types are its declaration's, also when no record has a relation of a kind (the
    samples' related_ror_ids: a list column of the frame then has no type, "NULL"[]) or there is no record at all
    (France). A later vintage, or another focus country, must fit the history of the first."""
    import duckdb

    from bilatrus_etl.institutions.link import build_institutions
    from bilatrus_etl.warehouse.tables import DIM_ROR_INSTITUTION

    con = duckdb.connect()
    assert build_institutions(con, shared_file(V2), country) == rows
    got = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'dim_ror_institution' "
        "ORDER BY column_index"
    ).fetchall()
    assert got == [(c.name, c.data_type) for c in DIM_ROR_INSTITUTION.columns]
    assert con.execute("SELECT count(*), count(DISTINCT focus_country) FROM dim_ror_institution").fetchall() == [
        (rows, 1 if rows else 0)
    ]
    if rows:
        assert con.execute("SELECT any_value(focus_country) FROM dim_ror_institution").fetchall() == [(country,)]
