"""The data dictionary: every warehouse table, column, type and description, from the models and the actual schema.

Descriptions come, in this order, from: the SQL model's opening comment (sql/<layer>/<name>.sql); the declaration
of the tables built in Python (tables.py, the dictionary table itself included); and the DuckDB comments stored
on the table (`COMMENT ON TABLE/COLUMN`, which models.describe_table writes, e.g. for the landing tables). Types
and the list of tables and columns always come from the warehouse itself, so the dictionary never lists a table
that is not there nor misses one that is.

Outputs: Markdown (docs/data-dictionary.md) and the table `meta_data_dictionary` (one row per column).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.models import SQL_DIR, Model, describe_table, load_models
from bilatrus_etl.warehouse.publish import open_readonly
from bilatrus_etl.warehouse.tables import DATA_DICTIONARY, PYTHON_TABLES

TABLE = DATA_DICTIONARY.name
DESCRIPTION = DATA_DICTIONARY.description
COLUMN_DOCS = DATA_DICTIONARY.column_docs
LAYER_ORDER = ("staging", "core", "marts", "meta", "history", "other")


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    data_type: str
    description: str | None


@dataclass(frozen=True)
class TableDoc:
    name: str
    layer: str
    built_by: str
    description: str | None
    notes: str
    rows: int
    columns: list[ColumnDoc] = field(default_factory=list)


def _layer(name: str, model: Model | None) -> str:
    if model is not None:
        return model.layer
    if name.startswith("history_"):
        return "history"
    if name.startswith(("stg_", "land_", "ref_")) or name in {"quarantine", "load_audit"}:
        return "staging"
    if name.startswith(("dim_", "fact_")) or name == "institution_link":
        return "core"
    if name.startswith("mart_"):
        return "marts"
    if name.startswith("meta_"):
        return "meta"
    return "other"


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(SQL_DIR.parent.parent))
    except ValueError:
        return str(path)


def document(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[TableDoc]:
    """Describe every table of the warehouse open on `con` (main schema), in layer then name order."""
    models = load_models(sql_dir)
    tables = con.execute(
        "SELECT table_name, comment FROM duckdb_tables() "
        "WHERE NOT internal AND schema_name = current_schema() AND database_name = current_database() "
        "UNION ALL SELECT view_name, comment FROM duckdb_views() "
        "WHERE NOT internal AND schema_name = current_schema() AND database_name = current_database() "
        "ORDER BY 1"
    ).fetchall()
    columns: dict[str, list[tuple[str, str, str | None]]] = {}
    for table, column, data_type, comment in con.execute(
        "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE NOT internal AND schema_name = current_schema() AND database_name = current_database() "
        "ORDER BY table_name, column_index"
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type, comment))
    docs: list[TableDoc] = []
    for name, comment in tables:
        model = models.get(name)
        description: str | None
        rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        if model is not None:
            description, notes, column_docs, built_by = (
                model.description,
                model.notes,
                model.column_docs,
                _relative(model.path),
            )
        elif name in PYTHON_TABLES:
            declared = PYTHON_TABLES[name]
            description, notes, column_docs, built_by = (
                declared.description,
                declared.notes,
                declared.column_docs,
                declared.built_by,
            )
        else:
            description, notes, column_docs, built_by = (comment or None), "", {}, "Python step (see its asset)"
        docs.append(
            TableDoc(
                name=name,
                layer=_layer(name, model),
                built_by=built_by,
                description=(description or comment or None),
                notes=notes,
                rows=rows,
                columns=[
                    ColumnDoc(column, data_type, column_docs.get(column) or column_comment or None)
                    for column, data_type, column_comment in columns.get(name, [])
                ],
            )
        )
    docs.sort(key=lambda d: (LAYER_ORDER.index(d.layer), d.name))
    return docs


def undocumented_tables(docs: list[TableDoc]) -> list[str]:
    """Tables without a description."""
    return [d.name for d in docs if not d.description]


def undocumented_columns(docs: list[TableDoc]) -> dict[str, list[str]]:
    """Columns without a description, by table."""
    return {d.name: missing for d in docs if (missing := [c.name for c in d.columns if not c.description])}


def _self_doc(docs: list[TableDoc]) -> list[TableDoc]:
    """The dictionary table documents itself even before it exists."""
    if any(d.name == TABLE for d in docs):
        return docs
    own = TableDoc(
        name=TABLE,
        layer="meta",
        built_by="src/bilatrus_etl/warehouse/dictionary.py",
        description=DESCRIPTION,
        notes=DATA_DICTIONARY.notes,
        rows=sum(len(d.columns) for d in docs) + len(COLUMN_DOCS),
        columns=[ColumnDoc(n, t, COLUMN_DOCS[n]) for n, t in _TABLE_TYPES.items()],
    )
    return sorted(docs + [own], key=lambda d: (LAYER_ORDER.index(d.layer), d.name))


_TABLE_TYPES: dict[str, str] = {column.name: str(column.data_type) for column in DATA_DICTIONARY.columns}


def write_table(con: duckdb.DuckDBPyConnection, docs: list[TableDoc]) -> int:
    """(Re)write `meta_data_dictionary` from `docs` (including its own rows); return its row count."""
    docs = _self_doc(docs)
    columns = ", ".join(f"{name} {data_type}" for name, data_type in _TABLE_TYPES.items())
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} ({columns})")
    rows = [
        (d.name, d.layer, d.built_by, d.description, d.notes or None, d.rows, i, c.name, c.data_type, c.description)
        for d in docs
        for i, c in enumerate(d.columns, start=1)
    ]
    if rows:  # one Arrow table, not a prepared INSERT per row (about a thousand rows)
        frame = pa.table({name: list(values) for name, values in zip(_TABLE_TYPES, zip(*rows), strict=True)})
        con.register("_dictionary_rows", frame)
        try:
            con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM _dictionary_rows")
        finally:
            con.unregister("_dictionary_rows")
    describe_table(con, TABLE, DESCRIPTION, COLUMN_DOCS)
    return len(rows)


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _is_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta_build'").fetchall()[0][0]
    return bool(present and con.execute("SELECT bool_or(synthetic) FROM meta_build").fetchall()[0][0])


def render_markdown(docs: list[TableDoc], *, source: str | None = None, synthetic: bool = False) -> str:
    """The dictionary as Markdown: an index of tables, then each table's notes and columns."""
    docs = _self_doc(docs)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Data dictionary",
        "",
        f"Generated by `bilatrus dictionary` (src/bilatrus_etl/warehouse/dictionary.py) on {stamp}"
        + (f" from `{source}`" if source else "")
        + (
            ": every table of the warehouse, its columns, types and descriptions. Do not edit by hand: the text comes "
            "from the opening comments of the SQL models in sql/ and from the modules that build the other tables."
        ),
        "",
        (
            "The marts are computed for one focus country (variable `focus_country`, default RU); their notes state what "
            "one row is, the counting method (full or fractional) and the caveats."
        ),
        "",
        *(
            [
                "**The row counts below come from a warehouse built from the SYNTHETIC demo mirror** (`make demo`): they "
                "show the shape of the tables, not CORDIS figures.",
                "",
            ]
            if synthetic
            else []
        ),
        "| table | layer | rows | description |",
        "|---|---|---:|---|",
    ]
    lines += [
        f"| [`{d.name}`](#{d.name}) | {d.layer} | {d.rows:,} | {_md(d.description) or '**undocumented**'} |"
        for d in docs
    ]
    for layer in LAYER_ORDER:
        in_layer = [d for d in docs if d.layer == layer]
        if not in_layer:
            continue
        lines += ["", f"## {layer}"]
        for d in in_layer:
            lines += ["", f'<a id="{d.name}"></a>', f"### {d.name}", "", d.description or "**No description.**", ""]
            if d.notes:
                lines += [d.notes.replace("\n", " "), ""]
            lines += [
                f"Built by `{d.built_by}`; {d.rows:,} rows.",
                "",
                "| column | type | description |",
                "|---|---|---|",
            ]
            lines += [f"| `{c.name}` | {c.data_type} | {_md(c.description)} |" for c in d.columns]
    return "\n".join(lines) + "\n"


def write_markdown(
    warehouse_or_con: Path | str | duckdb.DuckDBPyConnection, output: Path | str, sql_dir: Path = SQL_DIR
) -> Path:
    """Write the Markdown dictionary of a warehouse (a path, opened read-only, or an open connection) to `output`."""
    if isinstance(warehouse_or_con, duckdb.DuckDBPyConnection):
        docs, source, synthetic = document(warehouse_or_con, sql_dir), None, _is_synthetic(warehouse_or_con)
    else:
        con = open_readonly(warehouse_or_con)
        try:
            docs, source, synthetic = document(con, sql_dir), Path(warehouse_or_con).name, _is_synthetic(con)
        finally:
            con.close()
    return _write_markdown_file(docs, output, source=source, synthetic=synthetic)


def _write_markdown_file(docs: list[TableDoc], output: Path | str, *, source: str | None, synthetic: bool) -> Path:
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(render_markdown(docs, source=source, synthetic=synthetic), encoding="utf-8")
    os.replace(temporary, target)
    return target


def build(
    con: duckdb.DuckDBPyConnection,
    markdown_path: Path | str | None = None,
    sql_dir: Path = SQL_DIR,
    *,
    strict: bool = False,
) -> list[TableDoc]:
    """Document the warehouse on `con`: write `meta_data_dictionary` (and the Markdown file when a path is given).

    Run it on the build file as the last step before publishing, so the published file carries its dictionary.
    With strict=True, raise when a table has no description.
    """
    docs = document(con, sql_dir)
    missing = undocumented_tables(_self_doc(docs))
    if strict and missing:
        raise BilatrusError(
            f"Warehouse tables without a description: {', '.join(missing)}. Give each a description (the SQL model's "
            f"opening comment, or describe_table for tables built in Python)."
        )
    write_table(con, docs)
    # what `document` reads back now: the same tables, and the dictionary table as it documents itself (the
    # warehouse is documented once, not again for the result and again for the Markdown file)
    docs = _self_doc(docs)
    if markdown_path is not None:
        _write_markdown_file(docs, markdown_path, source=None, synthetic=_is_synthetic(con))
    return docs
