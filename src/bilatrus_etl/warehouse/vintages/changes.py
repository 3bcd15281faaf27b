"""Reading the vintages of a published warehouse and what changed between two of them (`bilatrus vintages`,
`bilatrus diff`, the history asset's metadata), with the named queries sql/queries/vintage_diff*.sql.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.publish import open_readonly
from bilatrus_etl.warehouse.vintages.store import HISTORY_SCHEMA, MANIFEST_TABLE, META_TABLE, VIEW_PREFIX, _ident, chain

if TYPE_CHECKING:
    import pyarrow as pa

CHANGE_KINDS: tuple[str, ...] = (
    "project added",
    "project removed",
    "participation added",
    "participation ended",
    "participation changed",
    "institution renamed",
    "figure moved",
    "table rows changed",
)


def list_vintages(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """meta_vintage, newest last, as an Arrow table (sources summarised)."""
    _require_history(con)
    return _arrow(con, "list_vintages")


def _arrow(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None) -> pa.Table:
    """A named query of sql/queries/ as an Arrow table."""
    try:
        return con.sql(queries.query_text(name), params=params).to_arrow_table()
    except duckdb.Error as err:
        raise BilatrusError(f"SQL query {name} failed: {err}") from err


def _require_history(con: duckdb.DuckDBPyConnection) -> None:
    present = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'", [META_TABLE]
    ).fetchall()[0][0]
    if not present:
        raise BilatrusError(
            f"The warehouse has no {META_TABLE} table: it was published before vintages were kept. "
            f"Run `bilatrus run --force` once to record the first vintage."
        )


def resolve_vintage(con: duckdb.DuckDBPyConnection, wanted: str | int | None, offset: int) -> dict[str, Any]:
    """A vintage of meta_vintage by label or number (None: the `offset`-th from the newest, 0 = newest)."""
    rows = con.execute(f"SELECT seq, vintage, focus_country, recorded_at FROM {META_TABLE} ORDER BY seq").fetchall()
    if not rows:
        raise BilatrusError("No vintage recorded yet: publish once (`bilatrus run`).")
    if wanted is None or str(wanted).strip() == "":
        if len(rows) <= offset:
            raise BilatrusError(
                f"Only {len(rows)} vintage(s) recorded: a diff needs two. Run again after the sources change."
            )
        row = rows[-1 - offset]
    else:
        text = str(wanted).strip()
        matches = [r for r in rows if r[1] == text or str(r[0]) == text]
        if not matches:
            labels = ", ".join(f"{r[1]} ({r[0]})" for r in rows)
            raise BilatrusError(f"No vintage {text!r}. Recorded vintages: {labels}.")
        row = matches[0]
    return {"seq": row[0], "vintage": row[1], "focus_country": row[2], "recorded_at": row[3]}


@dataclass
class VintageDiff:
    """What changed between two vintages, for one focus country."""

    from_vintage: dict[str, Any]
    to_vintage: dict[str, Any]
    focus_country: str
    changes: pa.Table

    def counts(self) -> dict[str, int]:
        kinds = self.changes.column("change").to_pylist()
        counts = {kind: 0 for kind in CHANGE_KINDS}
        subjects: dict[str, set] = {kind: set() for kind in CHANGE_KINDS}
        for row in self.changes.to_pylist():
            subjects[row["change"]].add((row["framework_programme"], row["project_id"], row["subject"]))
        for kind in set(kinds):
            counts[kind] = (
                len(subjects[kind]) if kind in ("participation changed", "table rows changed") else kinds.count(kind)
            )
        return counts

    def to_json(self) -> dict[str, Any]:
        from bilatrus_etl.analyst.query import json_value

        return {
            "from": json_value(self.from_vintage),
            "to": json_value(self.to_vintage),
            "focus_country": self.focus_country,
            "counts": self.counts(),
            "changes": [json_value(r) for r in self.changes.to_pylist()],
        }

    def render(self, fmt: str = "table") -> str:
        from bilatrus_etl.analyst.query import format_result

        if fmt == "json":
            return json.dumps(self.to_json(), ensure_ascii=False, indent=1)
        if fmt == "csv":
            return str(format_result(self.changes, "csv"))
        if fmt != "table":
            raise BilatrusError(f"Unknown diff format {fmt!r}: choose table, csv or json.")
        lines = [
            f"Changes for {self.focus_country} from vintage {self.from_vintage['vintage']} "
            f"(#{self.from_vintage['seq']}) to {self.to_vintage['vintage']} (#{self.to_vintage['seq']}):"
        ]
        if self.from_vintage.get("focus_country") != self.to_vintage.get("focus_country"):
            lines.append(
                f"  Note: the marts of {self.from_vintage['vintage']} describe {self.from_vintage.get('focus_country')}, "
                f"those of {self.to_vintage['vintage']} {self.to_vintage.get('focus_country')}: mart figures differ for that reason."
            )
        counts = self.counts()
        lines += [f"  {kind:<24}{counts[kind]:>8,}" for kind in CHANGE_KINDS]
        for kind in CHANGE_KINDS:
            section = self.changes.filter(_equals(self.changes, "change", kind))
            if section.num_rows:
                columns = [
                    c
                    for c in section.column_names
                    if c != "change" and any(v is not None for v in section.column(c).to_pylist())
                ]
                lines += [
                    "",
                    f"{kind} ({section.num_rows:,} row{'s' if section.num_rows != 1 else ''})",
                    str(format_result(section.select(columns), "table")),
                ]
        if not self.changes.num_rows:
            lines += ["", "Nothing changed for the focus country."]
        return "\n".join(lines)

    def markdown(self, max_rows: int = 50) -> str:
        """Counts, then the first `max_rows` changes, as Markdown (the history asset's metadata)."""

        def cell(value: object) -> str:
            return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

        counts = self.counts()
        lines = [
            f"Focus country {self.focus_country}: vintage {self.from_vintage['vintage']} -> {self.to_vintage['vintage']}",
            "",
            "| change | count |",
            "|---|---:|",
        ]
        lines += [f"| {kind} | {counts[kind]:,} |" for kind in CHANGE_KINDS]
        names = self.changes.column_names
        lines += ["", "| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        lines += [
            "| " + " | ".join(cell(row[n]) for n in names) + " |" for row in self.changes.slice(0, max_rows).to_pylist()
        ]
        if self.changes.num_rows > max_rows:
            lines.append(f"\n{self.changes.num_rows - max_rows:,} more: `bilatrus diff` shows them all.")
        return "\n".join(lines)


def _equals(table: pa.Table, column: str, value: str) -> pa.Array:
    import pyarrow.compute as pc

    return pc.equal(table.column(column), value)


def diff_connection(
    con: duckdb.DuckDBPyConnection,
    from_vintage: str | int | None = None,
    to_vintage: str | int | None = None,
    focus_country: str | None = None,
) -> VintageDiff:
    """The changes between two vintages (default: the last two) on an open warehouse connection."""
    import pyarrow as pa

    _require_history(con)
    to_v = resolve_vintage(con, to_vintage, 0)
    from_v = resolve_vintage(con, from_vintage, 1) if from_vintage is not None else _previous(con, to_v)
    focus = (focus_country or to_v["focus_country"] or "RU").upper()
    params = {"from_vintage": from_v["vintage"], "to_vintage": to_v["vintage"]}
    queries.set_focus_country(con, focus)  # the diff queries read it with focus_country(), like the models
    present = {
        name
        for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND starts_with(view_name, ?)",
            [VIEW_PREFIX],
        ).fetchall()
    }
    parts = []
    for name, needs in (
        ("vintage_diff_rows", ("fact_participation", "dim_project", "dim_organization")),
        (
            "vintage_diff_figures",
            ("mart_country_participation", "mart_third_country_ranking", "mart_partner_countries"),
        ),
    ):
        if all(f"{VIEW_PREFIX}{t}" in present for t in needs):
            parts.append(_arrow(con, name, params))
    parts.append(_table_row_changes(con, from_v["seq"], to_v["seq"]))
    changes = pa.concat_tables([p.cast(parts[-1].schema) for p in parts]) if parts else pa.table({})
    return VintageDiff(from_v, to_v, focus, changes)


def _previous(con: duckdb.DuckDBPyConnection, to_v: dict[str, Any]) -> dict[str, Any]:
    rows = con.execute(
        f"SELECT vintage FROM {META_TABLE} WHERE seq < ? ORDER BY seq DESC LIMIT 1", [to_v["seq"]]
    ).fetchall()
    if not rows:
        raise BilatrusError(
            f"Vintage {to_v['vintage']} is the oldest kept: there is nothing before it to compare with. "
            f"A diff needs two vintages: run again once the sources have changed (on the demo mirror: "
            f"`bilatrus demo --revise`), or give --from and --to (see `bilatrus vintages`)."
        )
    return resolve_vintage(con, rows[0][0], 0)


def _table_row_changes(con: duckdb.DuckDBPyConnection, from_seq: int, to_seq: int) -> pa.Table:
    """Per recorded table: row versions only in the later vintage (added) and only in the earlier one (removed)."""
    import pyarrow as pa

    tables = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? AND table_name <> ? ORDER BY table_name",
            [HISTORY_SCHEMA, MANIFEST_TABLE],
        ).fetchall()
    ]
    template = queries.query_text("vintage_table_changes")
    rows = []
    for table in tables:
        added, removed = con.execute(
            template.replace("{table}", _ident(table)), {"from_seq": from_seq, "to_seq": to_seq}
        ).fetchall()[0]
        for field_name, value in (("rows added", added), ("rows removed", removed)):
            if value:
                rows.append(
                    {
                        "change": "table rows changed",
                        "framework_programme": None,
                        "project_id": None,
                        "subject": table,
                        "name": None,
                        "field": field_name,
                        "from_value": None,
                        "to_value": str(value),
                    }
                )
    schema = pa.schema(
        [
            (c, pa.string())
            for c in (
                "change",
                "framework_programme",
                "project_id",
                "subject",
                "name",
                "field",
                "from_value",
                "to_value",
            )
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def diff(
    path: Path | str,
    from_vintage: str | int | None = None,
    to_vintage: str | int | None = None,
    focus_country: str | None = None,
) -> VintageDiff:
    """The changes between two vintages of the published warehouse at `path` (opened read-only)."""
    con = open_readonly(path)
    try:
        return diff_connection(con, from_vintage, to_vintage, focus_country)
    finally:
        con.close()


def vintages_table(path: Path | str) -> pa.Table:
    """The vintages of the published warehouse at `path`."""
    con = open_readonly(path)
    try:
        return list_vintages(con)
    finally:
        con.close()


def store_summary(history: Path) -> list[dict[str, Any]]:
    """The vintages of the store with their size on disk (bytes)."""
    out = []
    for v in chain(history):
        size = sum(p.stat().st_size for p in v.folder.iterdir() if p.is_file())
        out.append(
            {
                "seq": v.seq,
                "vintage": v.label,
                "base": v.base,
                "bytes": size,
                "rows_added": sum(e["added"] for e in v.tables.values()),
                "rows_removed": sum(e["removed"] for e in v.tables.values()),
            }
        )
    return out


def vintage_changes(settings: Settings, max_rows: int = 50) -> dict[str, Any]:
    """What changed between the last two vintages of the published warehouse (for the history asset's metadata)."""
    con = open_readonly(settings.warehouse_path)
    try:
        listed = list_vintages(con).column("vintage").to_pylist()
        if len(listed) < 2:
            only = listed[-1] if listed else None
            return {
                "vintages": len(listed),
                "from": None,
                "to": only,
                "counts": {},
                "markdown": f"Only {len(listed)} vintage(s) recorded: nothing to compare yet.",
            }
        change = diff_connection(con)
    finally:
        con.close()
    return {
        "vintages": len(listed),
        "from": change.from_vintage["vintage"],
        "to": change.to_vintage["vintage"],
        "counts": change.counts(),
        "markdown": change.markdown(max_rows),
    }
