"""Marts side by side: the same mart from two builds (DuckDB files or a folder of Parquet files), compared.

Rows are joined on the mart's key (NULL-safe; a mart without a known key is compared on all its columns);
numeric columns are compared with a relative tolerance (the
pandas script sums floats where DuckDB sums decimals), every other column exactly. Used by the benchmark to
show that the floor, the pandas script and the pipeline computed the same numbers, and by tests/test_bench.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

MART_KEYS: dict[str, tuple[str, ...]] = {
    "mart_country_participation": ("framework_programme", "start_year"),
    "mart_third_country_ranking": ("framework_programme", "country_code"),
    "mart_theme_profile": ("framework_programme", "theme_code"),
    "mart_partner_countries": ("framework_programme", "partner_country"),
    "mart_institutions": ("institution_key",),
    "mart_regions": ("framework_programme", "city", "is_mapped"),
    "mart_active_projects": ("framework_programme", "project_id"),
    "mart_collaboration_edges": ("source_key", "target_key"),
    "mart_institution_partners": ("institution_key", "partner_institution_key"),
}
PANDAS_MARTS: tuple[str, ...] = (
    "mart_country_participation",
    "mart_third_country_ranking",
    "mart_theme_profile",
    "mart_partner_countries",
    "mart_institutions",
    "mart_regions",
)
NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-6


@dataclass
class MartDiff:
    """How one mart differs between a left and a right build."""

    mart: str
    left_rows: int = 0
    right_rows: int = 0
    only_left: int = 0
    only_right: int = 0
    cell_mismatches: dict[str, int] = field(default_factory=dict)
    max_relative: dict[str, float] = field(default_factory=dict)
    missing: str | None = None

    @property
    def same(self) -> bool:
        return self.missing is None and not (self.only_left or self.only_right or self.cell_mismatches)

    def __str__(self) -> str:
        if self.missing:
            return f"{self.mart}: {self.missing}"
        if self.same:
            return f"{self.mart}: same ({self.left_rows} rows)"
        cells = ", ".join(
            f"{c} x{n}" + (f" (max rel {self.max_relative[c]:.0e})" if c in self.max_relative else "")
            for c, n in sorted(self.cell_mismatches.items())
        )
        return (
            f"{self.mart}: {self.left_rows} vs {self.right_rows} rows, {self.only_left} only left, "
            f"{self.only_right} only right" + (f", differing: {cells}" if cells else "")
        )


def _source(con: duckdb.DuckDBPyConnection, location: Path, alias: str, mart: str) -> str | None:
    """A FROM-able name for the mart in a DuckDB file (attached) or a Parquet folder; None if absent."""
    if location.is_dir():
        path = location / f"{mart}.parquet"
        return f"read_parquet('{path}')" if path.exists() else None
    attached = {row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    if alias not in attached:
        con.execute(f"ATTACH '{location}' AS {alias} (READ_ONLY)")
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?", [alias, mart]
    ).fetchall()[0][0]
    return f"{alias}.{mart}" if found else None


def _columns(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    return {row[0]: row[1] for row in rows}


def _is_numeric(sql_type: str) -> bool:
    return sql_type.upper().startswith(NUMERIC_TYPES)


def _mismatch_condition(column: str, numeric: bool) -> str:
    """SQL true where the column differs between l and r (numbers within the tolerance are equal)."""
    if numeric:
        left, right = f"CAST(l.{column} AS DOUBLE)", f"CAST(r.{column} AS DOUBLE)"
        return (
            f"({left} IS NULL) <> ({right} IS NULL) OR abs({left} - {right}) > "
            f"greatest({ABS_TOLERANCE}, {REL_TOLERANCE} * greatest(abs({left}), abs({right})))"
        )
    return f"CAST(l.{column} AS VARCHAR) IS DISTINCT FROM CAST(r.{column} AS VARCHAR)"


def compare_mart(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    left: Path,
    right: Path,
    *,
    numeric_only: bool = False,
    ignore: tuple[str, ...] = (),
) -> MartDiff:
    """Compare one mart of two builds on its key; `numeric_only` skips the text columns (names, lists)."""
    diff = MartDiff(mart)
    left_source, right_source = _source(con, Path(left), "l_db", mart), _source(con, Path(right), "r_db", mart)
    if left_source is None or right_source is None:
        diff.missing = f"missing in {'left' if left_source is None else 'right'}"
        return diff
    left_cols, right_cols = _columns(con, left_source), _columns(con, right_source)
    keys = MART_KEYS.get(mart) or tuple(c for c in left_cols if c in right_cols and c not in ignore)
    shared = [c for c in left_cols if c in right_cols and c not in keys and c not in ignore]
    compared = [c for c in shared if _is_numeric(left_cols[c]) or not numeric_only]
    on = " AND ".join(f"l.{k} IS NOT DISTINCT FROM r.{k}" for k in keys)
    diff.left_rows = con.execute(f"SELECT count(*) FROM {left_source}").fetchall()[0][0]
    diff.right_rows = con.execute(f"SELECT count(*) FROM {right_source}").fetchall()[0][0]
    checks = ["count(*) FILTER (WHERE r._present IS NULL)", "count(*) FILTER (WHERE l._present IS NULL)"]
    checks += [
        f"count(*) FILTER (WHERE l._present AND r._present AND ({_mismatch_condition(c, _is_numeric(t))}))"
        for c, t in ((c, left_cols[c]) for c in compared)
    ]
    row = con.execute(
        f"SELECT {', '.join(checks)} FROM (SELECT *, true AS _present FROM {left_source}) AS l "
        f"FULL OUTER JOIN (SELECT *, true AS _present FROM {right_source}) AS r ON {on}"
    ).fetchall()[0]
    diff.only_left, diff.only_right = int(row[0]), int(row[1])
    diff.cell_mismatches = {c: int(n) for c, n in zip(compared, row[2:], strict=True) if n}
    numeric = [c for c in diff.cell_mismatches if _is_numeric(left_cols[c])]
    if numeric:
        spans = ", ".join(
            f"max(abs(CAST(l.{c} AS DOUBLE) - CAST(r.{c} AS DOUBLE)) / "
            f"nullif(greatest(abs(CAST(l.{c} AS DOUBLE)), abs(CAST(r.{c} AS DOUBLE))), 0))"
            for c in numeric
        )
        values = con.execute(f"SELECT {spans} FROM {left_source} AS l JOIN {right_source} AS r ON {on}").fetchall()[0]
        diff.max_relative = {c: float(v) for c, v in zip(numeric, values, strict=True) if v is not None}
    return diff


def mart_tables(database: Path) -> list[str]:
    """The mart_* tables of a DuckDB file, by name."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'mart\\_%' ESCAPE '\\' ORDER BY table_name"
        ).fetchall()
        return [row[0] for row in rows]
    finally:
        con.close()


def compare_builds(
    left: Path,
    right: Path,
    marts: tuple[str, ...] | list[str] = tuple(MART_KEYS),
    *,
    numeric_only: bool = False,
    ignore: tuple[str, ...] = (),
) -> list[MartDiff]:
    """Compare every named mart of two builds (DuckDB files or Parquet folders)."""
    con = duckdb.connect()
    try:
        return [compare_mart(con, m, Path(left), Path(right), numeric_only=numeric_only, ignore=ignore) for m in marts]
    finally:
        con.close()


def close(a: float | None, b: float | None) -> bool:
    """The tolerance compare_mart applies, for callers comparing single values."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)


# ----------------------------------------------------------------------------- the lean script's figures

# The figures bench/lean.py prints, as queries on a build's marts (same columns, same order, same sort).
FIGURES_OF_MARTS: dict[str, str] = {
    "country_participation": """
        SELECT framework_programme, start_year, participations, participations_fractional, projects,
               funded_participations, ec_contribution
        FROM mart_country_participation WHERE participations > 0 ORDER BY ALL""",
    "third_country_ranking": """
        SELECT framework_programme, country_code, participations, projects, rank_participations
        FROM mart_third_country_ranking ORDER BY ALL""",
    "partner_countries": """
        SELECT framework_programme, partner_country, joint_projects, links_fractional
        FROM mart_partner_countries ORDER BY ALL""",
    "theme_profile": """
        SELECT framework_programme, theme_code, participations, all_participations
        FROM mart_theme_profile ORDER BY ALL""",
    "institutions": """
        SELECT institution_key, participations, participations_fractional, projects, ec_contribution
        FROM mart_institutions ORDER BY ALL""",
}


def figures_of_marts(database: Path) -> dict[str, list[list[object]]]:
    """bench/lean.py's figures computed from a build's marts (the pipeline's, the floor's)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return {
            name: [
                [v if v is None or isinstance(v, (bool, int, float, str)) else float(v) for v in row]
                for row in con.execute(sql).fetchall()
            ]
            for name, sql in FIGURES_OF_MARTS.items()
        }
    finally:
        con.close()


def compare_figures(left: dict[str, list[list[object]]], right: dict[str, list[list[object]]]) -> list[str]:
    """One line per figure: 'same (N rows)' or how many rows differ, with the first difference."""
    lines = []
    for name in FIGURES_OF_MARTS:
        a, b = left.get(name, []), right.get(name, [])
        differing = [(x, y) for x, y in zip(a, b, strict=False) if not _same_row(x, y)]
        if len(a) == len(b) and not differing:
            lines.append(f"{name}: same ({len(a)} rows)")
            continue
        first = f"; first: {differing[0][0]} vs {differing[0][1]}" if differing else ""
        lines.append(f"{name}: {len(a)} vs {len(b)} rows, {len(differing)} differing{first}")
    return lines


def _same_row(x: list[object], y: list[object]) -> bool:
    if len(x) != len(y):
        return False
    for a, b in zip(x, y, strict=True):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            if not close(float(a), float(b)):
                return False
        elif a != b:
            return False
    return True
