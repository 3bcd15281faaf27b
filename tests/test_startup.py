"""Start-up: the CLI imports what a command needs when it needs it, and model dependencies are cached.

No timings here (they belong in `make bench` and `python -X importtime`): the tests check which modules a
start-up loads and that the dependency cache gives the same dependencies as sqlglot.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bilatrus_etl.resources import SQL_DIR
from bilatrus_etl.warehouse import models
from bilatrus_etl.warehouse.models import _load_models_cached, deps_cache_file, load_models

HEAVY = ("dagster", "pandas", "great_expectations", "sqlglot", "duckdb", "scipy", "rapidfuzz")


def _loaded_after(code: str, env_cache: Path) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={"BILATRUS_CACHE_DIR": str(env_cache), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_module_imports_no_heavy_library(tmp_path: Path) -> None:
    assert _loaded_after("import pipelines.cli", tmp_path) == []


def test_code_location_needs_no_sqlglot_pandas_or_gx_once_the_deps_are_cached(tmp_path: Path) -> None:
    _loaded_after("from bilatrus_etl.warehouse.models import load_models; load_models()", tmp_path)  # fills the cache
    loaded = _loaded_after("import pipelines.definitions", tmp_path)
    assert "dagster" in loaded and "duckdb" in loaded
    assert not {"sqlglot", "pandas", "great_expectations", "scipy", "rapidfuzz"} & set(loaded)


def test_dependency_cache_gives_sqlglot_s_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILATRUS_CACHE_DIR", str(tmp_path))
    _load_models_cached.cache_clear()
    parsed = {name: m.tables_read for name, m in load_models(SQL_DIR).items()}
    cache = json.loads(deps_cache_file().read_text(encoding="utf-8"))
    assert len(cache) == len(parsed) and parsed["mart_institutions"] >= {"fact_participation", "dim_institution"}

    def no_parse(sql: str, path: Path) -> frozenset[str]:
        raise AssertionError(f"parsed {path} again")

    monkeypatch.setattr(models, "_tables_read", no_parse)
    _load_models_cached.cache_clear()
    try:
        assert {name: m.tables_read for name, m in load_models(SQL_DIR).items()} == parsed
    finally:
        _load_models_cached.cache_clear()


def test_a_changed_model_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILATRUS_CACHE_DIR", str(tmp_path / "cache"))
    sql_dir = tmp_path / "sql"
    (sql_dir / "core").mkdir(parents=True)
    model = sql_dir / "core" / "t.sql"
    model.write_text("-- A table.\nSELECT * FROM a", encoding="utf-8")
    _load_models_cached.cache_clear()
    assert load_models(sql_dir)["t"].tables_read == {"a"}
    model.write_text("-- A table.\nSELECT * FROM b JOIN c USING (k)", encoding="utf-8")
    _load_models_cached.cache_clear()
    try:
        assert load_models(sql_dir)["t"].tables_read == {"b", "c"}
    finally:
        _load_models_cached.cache_clear()


def test_loading_the_definitions_creates_no_folder(tmp_path: Path) -> None:
    """The UI's code server and `dagster definitions validate` load the definitions: the data folder is made by a
    run, not by loading them."""
    data = tmp_path / "data"
    repo = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(repo)!r}); import pipelines.definitions"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=tmp_path,
        env={"BILATRUS_CACHE_DIR": str(tmp_path / "cache"), "BILATRUS_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
    )
    assert not data.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
