"""The floor: DuckDB alone reading the mirror's files and computing the same marts, in one SQL script.

The script is generated from the project's own code so that it computes exactly what the pipeline does:

1. prologue: session variables (focus_country, reference_dir) and macros (focus_country()), the landing tables (readers.LANDING_SHAPES)
   filled straight from `read_csv` with the readers' own dialect (`;`/`,` from the header, `"` quote and
   escape, strict mode, all VARCHAR, `store_rejects`) and their column mapping by name (`map_columns` over
   the same Layouts), record_hash and a file-order line number. Malformed lines are left in DuckDB's
   temporary reject tables, never read: the floor keeps no quarantine;
2. the SQL functions and code maps of `clean.install`, captured statement by statement (no Python at run time);
3. `institution_link`, which the pipeline writes from Python (ROR matching), created empty: the core SQL
   then falls back to institution_key = org_key. `dim_ror_institution` (read by no SQL model) and
   `mart_collaboration_network` (Python) are not built;
4. every SQL model the marts need (staging, core, marts), `CREATE OR REPLACE TABLE <name> AS <model SQL>`,
   in dependency order (`models.load_models` / `build_order`). quarantine and load_audit are not needed
   by any mart and are skipped.

Run: `python -m bench.floor SCRIPT DATABASE` executes a script into a DuckDB file (the timed subprocess);
`python -m bench.floor SCRIPT --inputs inputs.json` writes the script; `--profile` runs it statement by
statement and prints the slowest; `python -m bench.floor SCRIPT DATABASE --explain MODEL` prints DuckDB's
EXPLAIN ANALYZE of a model's SELECT on the built database (operator times and rows: repeated scans show).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from bench.inputs import InputFile, Inputs, read_inputs, reader_layout
from bilatrus_etl.ingest import clean
from bilatrus_etl.ingest.readers.columns import LANDING_SHAPES, FileRef, landing_columns, map_columns
from bilatrus_etl.ingest.readers.header import Header
from bilatrus_etl.ingest.readers.land import create_landing_tables, mapped_columns, record_hash_sql
from bilatrus_etl.ingest.readers.raw import read_csv_sql, temp_name
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.models import Model, build_order, load_models, model_deps, set_variables, sql_literal
from bilatrus_etl.warehouse.tables import INSTITUTION_LINK, create_empty_sql

PYTHON_TABLES_SKIPPED = {
    "institution_link": "created empty (the pipeline fills it by ROR matching in Python)",
    "dim_ror_institution": "not built (written in Python from the ROR dump; no SQL model reads it)",
    "mart_collaboration_network": "not built (network measures in Python)",
}


# ------------------------------------------------------------------------------------------- models


def mart_names(models: dict[str, Model]) -> list[str]:
    return [name for name, model in models.items() if model.layer == "marts"]


def needed_models(models: dict[str, Model], targets: Sequence[str]) -> list[str]:
    """The targets and every model they read, transitively, in dependency order."""
    wanted: set[str] = set()
    stack = list(targets)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack += model_deps(models[name], models)
    return build_order(models, sorted(wanted))


def model_statement(model: Model) -> str:
    body = model.sql.strip().rstrip(";")
    kind = "TEMP TABLE" if model.temporary else "TABLE"  # as the pipeline builds it (models.run_model)
    return f"-- {model.layer}/{model.name}\nCREATE OR REPLACE {kind} {model.name} AS\n{body};"


# ------------------------------------------------------------------------------------------ landing


def landing_ddl() -> list[str]:
    statements = []
    for name in (*LANDING_SHAPES, "land_rejects"):
        body = ", ".join(f"{c} {t}" for c, t in landing_columns(name))
        statements.append(f"CREATE OR REPLACE TABLE {name} ({body});")
    return statements


def read_csv_call(file: InputFile) -> str:
    """The readers' own read_csv call (readers.raw.read_csv_sql). Malformed lines go to reject tables the floor
    never reads: `store_rejects` (not `ignore_errors`, which in DuckDB 2.0 loses good records after a malformed
    one) so that exactly the records the readers keep are kept."""
    header = Header(list(file.columns), file.delimiter)
    return read_csv_sql(Path(file.path), header, "utf-8", ("",), temp_name("floor_rej"), temp_name("floor_scan"))


def land_statement(file: InputFile) -> str:
    """INSERT one file into its landing table, shaped as readers.land_select shapes it."""
    table, layout = reader_layout(file)
    ref = FileRef(file.dataset, file.source_file, file.programme)
    mapping = map_columns(list(file.columns), layout, ref)
    meta = {
        "framework_programme": sql_literal(file.programme),
        "dataset": sql_literal(file.dataset),
        "source_format": sql_literal(file.source_format),
        "source_file": sql_literal(file.source_file),
        "record_hash": record_hash_sql(len(file.columns)),
    }
    shape = LANDING_SHAPES[table]
    canonical = [c for c in shape if c not in meta]
    select = mapped_columns(mapping, canonical) + [f"{meta[c]} AS {c}" for c in shape if c in meta]
    # row_number() OVER () streams in file order: source_line keeps the order of the file (header = 1).
    return (
        f"-- {file.source_file}\nINSERT INTO {table} BY NAME\n"
        f"SELECT {', '.join(select)}, row_number() OVER () + 1 AS source_line\nFROM {read_csv_call(file)};"
    )


# ---------------------------------------------------------------------------------- clean.install


class _RecordingConnection:
    """Runs statements on a scratch connection and keeps them, parameters inlined, for the script."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.statements: list[str] = []

    def execute(self, sql: str, parameters: Sequence[object] | None = None) -> duckdb.DuckDBPyConnection:
        self.statements.append(_inline(sql, parameters) + ";")
        return self.con.execute(sql, parameters) if parameters else self.con.execute(sql)


def _inline(sql: str, parameters: Sequence[object] | None) -> str:
    if not parameters:
        return sql
    pieces = sql.split("?")
    if len(pieces) != len(parameters) + 1:
        raise ValueError(f"cannot inline {len(parameters)} parameters into: {sql[:80]}")
    out = [pieces[0]]
    for value, piece in zip(parameters, pieces[1:], strict=True):
        out.append(sql_literal(None if value is None else str(value)) + piece)
    return "".join(out)


def clean_statements() -> list[str]:
    """What `clean.install` runs (macros, ref_role, ref_activity_type, ref_country_code), as SQL text."""
    scratch = duckdb.connect()
    try:
        create_landing_tables(scratch)
        recorder = _RecordingConnection(scratch)
        clean.install(recorder)  # type: ignore[arg-type]  # duck-typed: only execute() is used
        return recorder.statements
    finally:
        scratch.close()


# ------------------------------------------------------------------------------------------- script


def floor_script(inputs: Inputs, models: dict[str, Model] | None = None) -> str:
    """The whole floor as one SQL script."""
    models = models or load_models()
    parts = [
        "-- bilatrus-etl benchmark floor: DuckDB alone, generated by bench/floor.py from the project's SQL models.",
        "SET enable_progress_bar = false;",
        f"SET VARIABLE focus_country = {sql_literal(inputs.focus_country)};",
        f"SET VARIABLE reference_dir = {sql_literal(inputs.reference_dir)};",
        *(f"{statement};" for statement in queries.SESSION_MACROS),
        *landing_ddl(),
        *(land_statement(f) for f in inputs.files),
        *clean_statements(),
        create_empty_sql(INSTITUTION_LINK) + ";",
        *(model_statement(models[name]) for name in needed_models(models, mart_names(models))),
        "CHECKPOINT;",
    ]
    return "\n\n".join(parts) + "\n"


def write_script(inputs: Inputs, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(floor_script(inputs), encoding="utf-8")
    return path


def run_script(script: Path, database: Path) -> None:
    """Execute the script into a fresh DuckDB file (what the timed subprocess does)."""
    database = Path(database)
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    try:
        con.execute(Path(script).read_text(encoding="utf-8"))
    finally:
        con.close()


STATEMENT_SEPARATOR = ";\n\n"


def profile_script(script: Path, database: Path) -> list[tuple[str, float]]:
    """Execute the script statement by statement; (first line of each, seconds), slowest first."""
    import time

    database = Path(database)
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    timings: list[tuple[str, float]] = []
    try:
        for statement in Path(script).read_text(encoding="utf-8").split(STATEMENT_SEPARATOR):
            if statement.strip():
                started = time.perf_counter()
                con.execute(statement)
                label = next((line for line in statement.strip().splitlines() if line.strip()), "")[:90]
                timings.append((label, round(time.perf_counter() - started, 3)))
    finally:
        con.close()
    return sorted(timings, key=lambda item: -item[1])


def explain_models(database: Path, names: Sequence[str]) -> list[str]:
    """DuckDB's EXPLAIN ANALYZE of model SELECTs run on a built floor database (read-only: the plans, with
    each operator's time and rows, show which scans repeat)."""
    models = load_models()
    con = duckdb.connect(str(database), read_only=True)
    try:
        set_variables(con, {"focus_country": "RU"})
        plans = []
        for name in names:
            body = models[name].sql.strip().rstrip(";")
            rows = con.execute(f"EXPLAIN ANALYZE {body}").fetchall()
            plans.append(f"== {name}\n" + "\n".join(str(row[-1]) for row in rows))
        return plans
    finally:
        con.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    parser.add_argument("script", type=Path, help="the SQL script (written with --inputs/--write, else run)")
    parser.add_argument("database", type=Path, nargs="?", help="DuckDB file to build (run mode)")
    parser.add_argument("--inputs", type=Path, help="inputs.json from bench.inputs: write the script")
    parser.add_argument("--profile", action="store_true", help="run statement by statement, print the slowest")
    parser.add_argument(
        "--explain",
        metavar="MODEL",
        action="append",
        help="EXPLAIN ANALYZE this model's SELECT on the built DATABASE (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.explain:
        if args.database is None:
            parser.error("--explain needs the built DuckDB file")
        print("\n\n".join(explain_models(args.database, args.explain)))
        return 0
    if args.inputs:
        write_script(read_inputs(args.inputs), args.script)
        return 0
    if args.database is None:
        parser.error("give the DuckDB file to build, or --inputs to write the script")
    if args.profile:
        for label, seconds in profile_script(args.script, args.database)[:20]:
            print(f"{seconds:8.2f} s  {label}")
        return 0
    run_script(args.script, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
