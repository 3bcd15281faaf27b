"""The warehouse model: SQL files in sql/, their dependencies read with sqlglot, run one at a time; publishing.

A model is one file `sql/<layer>/<name>.sql` holding one SELECT (CTEs allowed). It opens with a comment
whose first line is the table's one-line description; further comment lines of the form
`-- column_name: description` document columns. Running a model replaces the table of that name and stores
those descriptions as DuckDB comments (visible in DBeaver, `duckdb_tables()`, `duckdb_columns()`).

Models read session variables with getvariable(): `focus_country` (default 'RU'), `as_of` (default
current_date) and `reference_dir` (the curated src/bilatrus_etl/reference folder; run_model sets it to this checkout's
folder when the caller has not). Reference CSVs are read with `read_csv(<reference_dir> || '/file.csv')`,
which sqlglot does not count as a model dependency.

Publishing (`publish`) writes the checkpointed build file to a temporary file beside the published path in the
storage version PUBLISHED_STORAGE_VERSION (which DuckDB 1.x clients read): a build file created in that version
(BUILD_CONFIG, as the pipeline's build connections do) is cloned or copied in the kernel; an older- or
newer-format build is rewritten with COPY FROM DATABASE. The copy is fsynced, the current published file is kept
as the previous one (hard link, so the published path never disappears) and the copy is renamed onto the
published path. Readers in other processes hold read-only connections to the old file's inode and keep reading
it, complete, until they reconnect: no lock is ever taken on the published path by the writer, so they never get
a lock error or a half-built table.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.queries import install_session_macros

LAYERS: tuple[str, ...] = ("staging", "core", "marts")
from bilatrus_etl.resources import REFERENCE_DIR, SQL_DIR
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
        _parse_model(path, layer, deps_cache)
        for layer in LAYERS
        for path in sorted((sql_dir / layer).glob("*.sql"))
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


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def describe_table(
    con: duckdb.DuckDBPyConnection, table: str, description: str, column_docs: dict[str, str] | None = None
) -> None:
    """Store a table's one-line description and its columns' descriptions as DuckDB comments.

    The data dictionary reads them for tables that are not SQL models (Python steps should call this).
    """
    con.execute(f'COMMENT ON TABLE "{table}" IS {_sql_literal(description)}')
    columns = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND schema_name = current_schema() AND database_name = current_database()",
            [table],
        ).fetchall()
    ]
    for column in columns:
        doc = (column_docs or {}).get(column)
        if doc:
            con.execute(f'COMMENT ON COLUMN "{table}"."{column}" IS {_sql_literal(doc)}')


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


def run_models(con: duckdb.DuckDBPyConnection, names: list[str] | None = None, sql_dir: Path = SQL_DIR) -> dict[str, int]:
    """Run the given models (default all) in dependency order; return row counts."""
    models = load_models(sql_dir)
    return {name: run_model(con, models[name]) for name in build_order(models, names)}


INSTITUTION_LINK_DDL = """CREATE TABLE IF NOT EXISTS institution_link (
    org_key VARCHAR, ror_id VARCHAR, institution_key VARCHAR, institution_name VARCHAR, method VARCHAR, score DOUBLE
)"""


INSTITUTION_LINK_DESCRIPTION = (
    "Each organisation key linked to its institution: ROR id where matched, matching method and score, and an "
    "institution key grouping the same institution across programmes."
)
INSTITUTION_LINK_COLUMNS: dict[str, str] = {
    "org_key": "organisation key (stg_participation.org_key)",
    "ror_id": "ROR identifier of the matched institution (NULL where unmatched)",
    "institution_key": "key grouping the organisation keys of one institution (the core tables fall back to org_key)",
    "institution_name": "name of the institution",
    "method": "how the link was made (override, pic, exact, acronym+city, fuzzy+city, fuzzy, prefix, scored, none)",
    "score": "matching score (0-100)",
}


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables of the connection's current schema (not the `history` schema's same-named tables)."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = current_schema() "
        "AND database_name = current_database()"
    ).fetchall()
    return {row[0] for row in rows}


def ensure_institution_link(con: duckdb.DuckDBPyConnection) -> None:
    """Create an empty `institution_link` when the matching step has not written one (the core SQL reads it),
    and give the table its description when it has none."""
    con.execute(INSTITUTION_LINK_DDL)
    comment = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = 'institution_link' "
        "AND schema_name = current_schema() AND database_name = current_database()"
    ).fetchall()
    if not comment or not comment[0][0]:
        describe_table(con, "institution_link", INSTITUTION_LINK_DESCRIPTION, INSTITUTION_LINK_COLUMNS)


# --- publishing -------------------------------------------------------------------------------------------


# The published file is written in this DuckDB storage format, not the newest one DuckDB 2 writes by default,
# so analysts' tools that still embed DuckDB 1.x open it. It is the oldest format DuckDB 2 writes (storage
# number 64, the same as 'v0.10.0'), and it keeps every feature the warehouse uses: tables of every type used
# (structs, lists, DECIMAL, TIMESTAMPTZ, JSON), table and column comments, macros. tests/test_storage_version.py
# compares the published file with the build file, and opens a pipeline-built warehouse with DuckDB 1.x.
PUBLISHED_STORAGE_VERSION = "v1.0.0"
# Config that creates a database file in the published storage version: `create_build_file` makes the pipeline's
# build file with it (later connections open it with the default config and keep its version), so publishing is
# a plain file copy.
BUILD_CONFIG = {"storage_compatibility_version": PUBLISHED_STORAGE_VERSION}
_HEADER_VERSION_OFFSET = 12  # DuckDB's main header: checksum (8), magic "DUCK" (4), storage version number (8)


def storage_version_number(path: Path | str) -> int | None:
    """The storage version number in a DuckDB file's main header, or None when it is not a DuckDB file."""
    with open(path, "rb") as handle:
        header = handle.read(_HEADER_VERSION_OFFSET + 8)
    if len(header) < _HEADER_VERSION_OFFSET + 8 or header[8:12] != b"DUCK":
        return None
    return int.from_bytes(header[_HEADER_VERSION_OFFSET:], "little")


def create_build_file(path: Path | str) -> None:
    """Create the build file in PUBLISHED_STORAGE_VERSION when it does not exist yet (an existing one is kept)."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect(str(path), config=BUILD_CONFIG).close()


@cache
def published_storage_number() -> int:
    """The header number DuckDB writes for PUBLISHED_STORAGE_VERSION, read off a file it creates."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe.duckdb"
        duckdb.connect(str(probe), config=BUILD_CONFIG).close()
        number = storage_version_number(probe)
    if number is None:
        raise BilatrusError(f"DuckDB wrote no readable header for storage version {PUBLISHED_STORAGE_VERSION}.")
    return number


@dataclass(frozen=True)
class PublishResult:
    """What one publish did."""

    published_path: Path
    previous_path: Path | None
    bytes: int
    tables: int


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def checkpoint(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Write the build file's WAL into the file itself so that the file alone is the whole database.

    Uses `con` when the caller already holds a connection to the build file (DuckDB refuses a second
    connection to the same file with a different configuration within one process).
    """
    if con is not None:
        try:
            con.execute("CHECKPOINT").fetchall()
        except duckdb.Error as err:
            raise BilatrusError(f"Cannot checkpoint the build warehouse {path}: {err}. Publish again once no step writes to it.") from err
        return
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as err:
        raise BilatrusError(
            f"Cannot open the build warehouse {path} to publish it: {err}. Either another process holds it open "
            f"for writing (wait for that run to finish, then publish again) or this process holds a connection to it "
            f"with another configuration (pass that connection to publish as `con`)."
        ) from err
    try:
        con.execute("CHECKPOINT").fetchall()
    except duckdb.Error as err:
        raise BilatrusError(f"Cannot checkpoint the build warehouse {path}: {err}. Publish again once no step writes to it.") from err
    finally:
        con.close()


FICLONE = 0x40049409  # Linux ioctl: a copy-on-write clone of a whole file (btrfs, XFS, bcachefs, ZFS, ...)


def write_published_file(build: Path, target: Path) -> str:
    """Write the file to publish at `target` (a new path beside the published one) from the checkpointed build
    file, and fsync it; return how. The one place that decides what the published file's bytes are.

    Nothing is copied through Python: a copy-on-write clone where the file system has them (no data written
    at all), else an in-kernel copy (`copy_file_range`: no user-space buffers; server-side on NFS), else a plain
    copy. The published file is never the build file itself: the build keeps every programme's staged rows for
    the next per-programme backfill, and readers of the published file must never see the writer's changes."""
    with open(build, "rb") as source, open(target, "wb") as destination:
        how = _clone(source.fileno(), destination.fileno())
        if how is None:
            how = _kernel_copy(source.fileno(), destination.fileno(), os.fstat(source.fileno()).st_size)
        if how is None:
            destination.seek(0)
            destination.truncate()
            source.seek(0)
            shutil.copyfileobj(source, destination, 16 * 2**20)
            how = "copy"
        destination.flush()
        os.fsync(destination.fileno())
    return how


def _clone(source: int, destination: int) -> str | None:
    try:
        import fcntl

        fcntl.ioctl(destination, FICLONE, source)
    except (ImportError, OSError):
        return None
    return "clone"


def _kernel_copy(source: int, destination: int, size: int) -> str | None:
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is None:
        return None
    done = 0
    try:
        while done < size:
            step = copy_range(source, destination, size - done, done, done)
            if step == 0:
                break
            done += step
    except OSError:
        return None
    return "copy_file_range" if done == size else None


def _count_tables(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT internal").fetchall()[0][0]
    finally:
        con.close()


def _copy_for_readers(build: Path, target: Path, con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Copy every table, comment and macro of the build file into a new file of PUBLISHED_STORAGE_VERSION.

    Uses `con` when the caller holds a connection to the build file, else opens one as `checkpoint` does (so a
    build file this process still has open is reused, not attached twice). The target gets the older storage
    version, so DuckDB 1.x clients can open what analysts get.
    """
    session = con if con is not None else duckdb.connect(str(build))
    try:
        if con is None:
            session.execute("SET enable_progress_bar = false")
        source = session.execute("SELECT current_database()").fetchone()[0]
        session.execute(f"ATTACH {_sql_literal(str(target))} AS published_copy (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
        try:
            session.execute(f'COPY FROM DATABASE "{source}" TO published_copy')
        finally:
            session.execute("DETACH published_copy")
    except duckdb.Error as err:
        raise BilatrusError(
            f"Cannot copy the build warehouse {build} to {target} (storage version {PUBLISHED_STORAGE_VERSION}): {err}. "
            f"The published warehouse was left as it was."
        ) from err
    finally:
        if con is None:
            session.close()


def storage_version(path: Path | str) -> str:
    """The storage version a DuckDB file was written with, e.g. 'v1.2.0+' (DuckDB's own tag)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_sql_literal(str(path))} AS inspected (READ_ONLY)")
        return con.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'inspected'").fetchone()[0]
    finally:
        con.close()


def _keep_previous(published: Path, previous: Path) -> None:
    """Make `previous` the current published file without the published path ever disappearing."""
    staging = previous.with_name(f".{previous.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    _link_or_copy(published, staging)
    os.replace(staging, previous)
    _wal(previous).unlink(missing_ok=True)


def publish(
    build_path: Path | str,
    published_path: Path | str,
    previous_path: Path | str | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> PublishResult:
    """Publish the build file atomically onto `published_path`, keeping the file it replaces as `previous_path`.

    Steps: checkpoint the build file; write it to a temporary file beside the published path
    (`write_published_file`: a copy-on-write clone or an in-kernel copy) and fsync it;
    check the copy opens; hard-link the current published file to `previous_path`; `os.replace` the copy onto
    the published path; fsync the folder. Readers of the published file are never locked out: the writer
    never opens the published path, and a reader's open connection keeps the old file until it reconnects.
    `previous_path` defaults to `<stem>.previous<suffix>` beside the published file; pass `con` when this
    process already holds a connection to the build file (it is used for the CHECKPOINT).
    """
    build = Path(build_path)
    published = Path(published_path)
    previous = Path(previous_path) if previous_path else published.with_name(published.stem + ".previous" + published.suffix)
    if not build.exists():
        raise BilatrusError(f"Nothing to publish: the build warehouse {build} does not exist. Run the build first.")
    if build.resolve() == published.resolve():
        raise BilatrusError(f"The build file and the published file are the same path ({build}); they must differ.")
    if _wal(published).exists():
        raise BilatrusError(
            f"{_wal(published)} exists: someone opened the published warehouse read-write. Analysts must open it "
            f"read-only. Close that session, delete the .wal file (the published file itself is complete), and publish again."
        )
    checkpoint(build, con)
    if _wal(build).exists() and _wal(build).stat().st_size > 0:
        raise BilatrusError(f"The build warehouse {build} still has a write-ahead log after CHECKPOINT: a step is still writing. Publish again when it has finished.")
    published.parent.mkdir(parents=True, exist_ok=True)
    temporary = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    try:
        temporary.unlink(missing_ok=True)
        if storage_version_number(build) == published_storage_number():
            write_published_file(build, temporary)
        else:
            _copy_for_readers(build, temporary, con)
            _fsync_file(temporary)
        try:
            tables = _count_tables(temporary)
        except duckdb.Error as err:
            raise BilatrusError(f"The copy of {build} at {temporary} does not open as a DuckDB file: {err}. The published warehouse was left as it was.") from err
        kept: Path | None = None
        if published.exists():
            _keep_previous(published, previous)
            kept = previous
        os.replace(temporary, published)
        _fsync_dir(published.parent)
    finally:
        temporary.unlink(missing_ok=True)
        _wal(temporary).unlink(missing_ok=True)
    return PublishResult(published_path=published, previous_path=kept, bytes=published.stat().st_size, tables=tables)


def rollback(published_path: Path | str, previous_path: Path | str | None = None) -> Path:
    """Swap the previous published file back onto the published path (atomically); return the published path.

    The file it replaces becomes the previous one, so a second rollback undoes the first. Readers holding the
    replaced file keep reading it until they reconnect, as with a publish.
    """
    published = Path(published_path)
    previous = Path(previous_path) if previous_path else published.with_name(published.stem + ".previous" + published.suffix)
    if not previous.exists():
        raise BilatrusError(f"No previous warehouse at {previous} to roll back to (one is kept from the second publish on).")
    if _wal(published).exists():
        raise BilatrusError(
            f"{_wal(published)} exists: someone opened the published warehouse read-write. Close that session, "
            f"delete the .wal file, and roll back again."
        )
    back = published.with_name(f".{published.name}.{os.getpid()}.rollback")
    replaced = previous.with_name(f".{previous.name}.{os.getpid()}.rollback")
    for link in (back, replaced):
        link.unlink(missing_ok=True)
    try:
        _link_or_copy(previous, back)
        if published.exists():
            _link_or_copy(published, replaced)
        os.replace(back, published)
        if replaced.exists():
            os.replace(replaced, previous)
        _fsync_dir(published.parent)
    finally:
        back.unlink(missing_ok=True)
        replaced.unlink(missing_ok=True)
    return published


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (instant, same inode) or, on file systems without them, an fsynced copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        _fsync_file(target)


def open_readonly(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published warehouse (never blocks, nor is blocked by, a publish).

    DuckDB shares one database instance per path within a process: a connection opened while another one to
    the same path is still open sees the same (possibly older) file. Close old connections to see a new publish.
    """
    target = Path(path)
    if not target.exists():
        raise BilatrusError(
            f"No warehouse at {target}: run `bilatrus run` (or `make demo`) to build and publish one, or set BILATRUS_WAREHOUSE."
        )
    try:
        return duckdb.connect(str(target), read_only=True)
    except duckdb.Error as err:
        raise BilatrusError(f"Cannot open the warehouse {target} read-only: {err}") from err
