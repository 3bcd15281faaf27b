"""SQL models: reading sql/<layer>/*.sql, the tables each reads (sqlglot, cached), build order, running them.

A model is one file `sql/<layer>/<name>.sql` holding one SELECT (CTEs allowed). It opens with a comment
whose first line is the table's one-line description; further comment lines of the form
`-- column_name: description` document columns. Running a model replaces the table of that name and stores
those descriptions as DuckDB comments (visible in DBeaver, `duckdb_tables()`, `duckdb_columns()`).

Models read session variables with getvariable(): `focus_country` (default 'RU'), `as_of` (default
current_date) and `reference_dir` (the curated src/bilatrus_etl/reference folder; run_model sets it to this checkout's
folder when the caller has not). Reference CSVs are read with `read_csv(<reference_dir> || '/file.csv')`,
which sqlglot does not count as a model dependency.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.resources import REFERENCE_DIR, SQL_DIR
from bilatrus_etl.warehouse.queries import install_session_macros

LAYERS: tuple[str, ...] = ("staging", "core", "marts")
TEMPORARY_MARK = "Temporary table"
_COLUMN_DOC = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*:\s*(.+)$")


@dataclass(frozen=True)
class Model:
    """One SQL model: a table built from a SELECT over sources and other models."""

    name: str
    layer: str
    path: Path
    sql: str
    description: str
    notes: str
    column_docs: dict[str, str] = field(default_factory=dict)
    tables_read: frozenset[str] = frozenset()

    @property
    def temporary(self) -> bool:
        """A working table of its run (its opening comment has a line starting `Temporary table`): built as a
        TEMP table, read by the models after it in the same connection, never stored or published."""
        return any(line.startswith(TEMPORARY_MARK) for line in self.notes.splitlines())


def _opening_comment(sql: str) -> list[str]:
    """The lines of the comment block the file opens with (`--` lines or one `/* */` block)."""
    text = sql.lstrip()
    if text.startswith("/*"):
        return [line.strip(" *") for line in text[2 : text.find("*/")].splitlines()]
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].rstrip())
    return lines


def _tables_read(sql: str, path: Path) -> frozenset[str]:
    import sqlglot  # about a second to import and parse every model: done once, then cached (_deps_cache)
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.ParseError as err:
        raise BilatrusError(f"SQL model {path} does not parse: {err}. Fix the SQL file.") from err
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names = {t.name.lower() for t in tree.find_all(exp.Table) if t.name}
    return frozenset(names - ctes)


DEPS_CACHE_VERSION = "1"


def deps_cache_file() -> Path:
    """Where the tables each model reads are cached, by the SQL text's sha256 (BILATRUS_CACHE_DIR, else the
    user's cache folder): start-up (`bilatrus run`, the Dagster code location) then needs no sqlglot."""
    base = os.environ.get("BILATRUS_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bilatrus-etl" / "model-deps.json"


def _sql_key(sql: str) -> str:
    return hashlib.sha256(f"{DEPS_CACHE_VERSION}\n{sql}".encode()).hexdigest()


def _read_deps_cache() -> dict[str, list[str]]:
    try:
        data = json.loads(deps_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_deps_cache(entries: dict[str, list[str]]) -> None:
    """Best effort: a read-only or missing cache folder only costs the parse next time."""
    target = deps_cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        pass


def _parse_model(path: Path, layer: str, deps_cache: dict[str, list[str]] | None = None) -> Model:
    sql = path.read_text(encoding="utf-8")
    comment = [line.strip() for line in _opening_comment(sql)]
    if not comment or not comment[0]:
        raise BilatrusError(f"SQL model {path} must open with a comment whose first line describes the table.")
    column_docs: dict[str, str] = {}
    notes: list[str] = []
    for line in comment[1:]:
        match = _COLUMN_DOC.match(line)
        if match:
            column_docs[match.group(1)] = match.group(2).strip()
        elif line:
            notes.append(line)
    return Model(
        name=path.stem,
        layer=layer,
        path=path,
        sql=sql,
        description=comment[0],
        notes="\n".join(notes),
        column_docs=column_docs,
        tables_read=_cached_tables_read(sql, path, deps_cache),
    )


def _cached_tables_read(sql: str, path: Path, deps_cache: dict[str, list[str]] | None) -> frozenset[str]:
    if deps_cache is None:
        return _tables_read(sql, path)
    key = _sql_key(sql)
    cached = deps_cache.get(key)
    if isinstance(cached, list) and all(isinstance(name, str) for name in cached):
        return frozenset(cached)
    tables = _tables_read(sql, path)
    deps_cache[key] = sorted(tables)
    return tables


@cache
def _load_models_cached(sql_dir: Path) -> tuple[Model, ...]:
    known = _read_deps_cache()
    deps_cache = dict(known)
    models = [
        _parse_model(path, layer, deps_cache) for layer in LAYERS for path in sorted((sql_dir / layer).glob("*.sql"))
    ]
    if deps_cache.keys() != known.keys():  # keep only the current models' entries
        _write_deps_cache({_sql_key(m.sql): sorted(m.tables_read) for m in models})
    return tuple(models)


def load_models(sql_dir: Path = SQL_DIR) -> dict[str, Model]:
    """Every model under sql_dir, by name, in layer then file order."""
    return {m.name: m for m in _load_models_cached(Path(sql_dir).resolve())}


def model_deps(model: Model, models: dict[str, Model]) -> list[str]:
    """The other models this model reads, from its SQL."""
    return sorted(name for name in model.tables_read if name in models and name != model.name)


def source_tables(model: Model, models: dict[str, Model]) -> list[str]:
    """Tables this model reads that are not models (landing tables loaded by the readers)."""
    return sorted(name for name in model.tables_read if name not in models)


def build_order(models: dict[str, Model], names: list[str] | None = None) -> list[str]:
    """Model names in dependency order (all models, or `names` and only those)."""
    wanted = set(names or models)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise BilatrusError(f"SQL models depend on each other in a cycle: {' -> '.join(trail + (name,))}")
        state[name] = 1
        for dep in model_deps(models[name], models):
            visit(dep, trail + (name,))
        state[name] = 2
        if name in wanted:
            order.append(name)

    for name in models:
        visit(name, ())
    return order


def set_variables(con: duckdb.DuckDBPyConnection, variables: dict[str, object]) -> None:
    """Session variables the models read (focus_country through the macro focus_country(), as_of, ...)."""
    for key, value in variables.items():
        con.execute(f"SET VARIABLE {key} = ?", [value])
    install_session_macros(con)


def ensure_default_variables(con: duckdb.DuckDBPyConnection) -> None:
    """Set `reference_dir` to this checkout's src/bilatrus_etl/reference when the caller has not set it, and
    create the session macros (focus_country())."""
    if con.execute("SELECT getvariable('reference_dir')").fetchall()[0][0] is None:
        set_variables(con, {"reference_dir": str(REFERENCE_DIR)})
    else:
        install_session_macros(con)


def sql_literal(value: str | None) -> str:
    """A SQL string literal (or NULL), for the statements that take no parameters (COMMENT ON, ATTACH, COPY TO)."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def describe_table(
    con: duckdb.DuckDBPyConnection, table: str, description: str, column_docs: dict[str, str] | None = None
) -> None:
    """Store a table's one-line description and its columns' descriptions as DuckDB comments.

    The data dictionary reads them for tables that are not SQL models (Python steps should call this). The
    comments are written in one transaction (the caller's, when it has one open): committed one by one, each
    comment cost a commit of its own, about five times the statement.
    """
    columns = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND schema_name = current_schema() AND database_name = current_database()",
            [table],
        ).fetchall()
    ]
    statements = [f'COMMENT ON TABLE "{table}" IS {sql_literal(description)}'] + [
        f'COMMENT ON COLUMN "{table}"."{column}" IS {sql_literal(doc)}'
        for column in columns
        if (doc := (column_docs or {}).get(column))
    ]
    with transaction(con):
        for statement in statements:
            con.execute(statement)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """A transaction around the block: a new one, committed at its end (rolled back on error), or the caller's
    when one is already open (DuckDB has no nested transactions, and a refused BEGIN aborts the open one)."""
    if in_transaction(con):
        yield
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: Callable[[str], str]) -> Iterator[None]:
    """While open, DuckDB's setting `name` is `value(current value as text)` on `con`'s database (a database-wide
    setting for most), put back as it was afterwards. Open it outside a transaction: an aborted one refuses SET
    until it is rolled back (the block's own error is then the one raised, the setting left as set)."""
    current = con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]
    previous = "" if current is None else str(current)
    con.execute(f"SET {name} = {sql_literal(value(previous))}")
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.execute(f"SET {name} = {sql_literal(previous)}")
        raise
    con.execute(f"SET {name} = {sql_literal(previous)}")


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection has a transaction open: outside one, every statement runs in a transaction of its own,
    so two statements in a row see different transaction ids."""
    first = con.execute("SELECT txid_current()").fetchall()[0][0]
    return bool(con.execute("SELECT txid_current()").fetchall()[0][0] == first)


def _drop_stored_copy(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a stored table of a now temporary model, left in the warehouse by an earlier version."""
    stored = con.execute(
        "SELECT database_name, schema_name FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
        "AND schema_name = current_schema() AND database_name = current_database()",
        [name],
    ).fetchall()
    for database, schema in stored:
        con.execute(f'DROP TABLE "{database}"."{schema}"."{name}"')


def run_model(con: duckdb.DuckDBPyConnection, model: Model) -> int:
    """Replace the model's table with the result of its SELECT; return its row count."""
    ensure_default_variables(con)
    body = model.sql.strip().rstrip(";")
    try:
        if model.temporary:
            _drop_stored_copy(con, model.name)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {model.name} AS {body}")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {body}")
    except duckdb.Error as err:
        raise BilatrusError(f"SQL model {model.name} ({model.path}) failed: {err}") from err
    describe_table(con, model.name, model.description, model.column_docs)
    # fetchall, not fetchone: DuckDB 2 refuses further relation queries while a result is unfinished.
    return con.execute(f"SELECT count(*) FROM {model.name}").fetchall()[0][0]


def run_models(
    con: duckdb.DuckDBPyConnection, names: list[str] | None = None, sql_dir: Path = SQL_DIR
) -> dict[str, int]:
    """Run the given models (default all) in dependency order; return row counts."""
    models = load_models(sql_dir)
    return {name: run_model(con, models[name]) for name in build_order(models, names)}


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows of one table."""
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
