"""The warehouse model: SQL files in sql/, their dependencies read with sqlglot, run one at a time.

A model is one file `sql/<layer>/<name>.sql` holding one SELECT (CTEs allowed). It opens with a comment
whose first line is the table's one-line description; further comment lines of the form
`-- column_name: description` document columns. Running a model replaces the table of that name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from bilatrus_etl.errors import BilatrusError

LAYERS: tuple[str, ...] = ("staging", "core", "marts")
SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
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
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.ParseError as err:
        raise BilatrusError(f"SQL model {path} does not parse: {err}. Fix the SQL file.") from err
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names = {t.name.lower() for t in tree.find_all(exp.Table) if t.name}
    return frozenset(names - ctes)


def _parse_model(path: Path, layer: str) -> Model:
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
        tables_read=_tables_read(sql, path),
    )


@cache
def _load_models_cached(sql_dir: Path) -> tuple[Model, ...]:
    models = [
        _parse_model(path, layer)
        for layer in LAYERS
        for path in sorted((sql_dir / layer).glob("*.sql"))
    ]
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
    """Session variables the models read with getvariable() (focus_country, as_of, ...)."""
    for key, value in variables.items():
        con.execute(f"SET VARIABLE {key} = ?", [value])


def run_model(con: duckdb.DuckDBPyConnection, model: Model) -> int:
    """Replace the model's table with the result of its SELECT; return its row count."""
    body = model.sql.strip().rstrip(";")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {body}")
    except duckdb.Error as err:
        raise BilatrusError(f"SQL model {model.name} ({model.path}) failed: {err}") from err
    return con.execute(f"SELECT count(*) FROM {model.name}").fetchone()[0]


def run_models(con: duckdb.DuckDBPyConnection, names: list[str] | None = None, sql_dir: Path = SQL_DIR) -> dict[str, int]:
    """Run the given models (default all) in dependency order; return row counts."""
    models = load_models(sql_dir)
    return {name: run_model(con, models[name]) for name in build_order(models, names)}
