"""Publishing the warehouse: the build file, its storage version, the atomic publish, rollback, read-only opens.

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

import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.models import sql_literal


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables of the connection's current schema (not the `history` schema's same-named tables)."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = current_schema() "
        "AND database_name = current_database()"
    ).fetchall()
    return {row[0] for row in rows}


# The published file is written in this DuckDB storage format, not the newest one DuckDB 2 writes by default,
# so analysts' tools that still embed DuckDB 1.x open it. It is the oldest format DuckDB 2 writes (storage
# number 64, the same as 'v0.10.0'), and it keeps every feature the warehouse uses: tables of every type used
# (structs, lists, DECIMAL, TIMESTAMPTZ, JSON), table and column comments, macros. tests/test_storage_version.py
# compares the published file with the build file, and opens a pipeline-built warehouse with DuckDB 1.x.
PUBLISHED_STORAGE_VERSION = "v1.0.0"
# Config that creates a database file in the published storage version: `create_build_file` makes the pipeline's
# build file with it (later connections open it with the default config and keep its version), so publishing is
# a plain file copy.
BUILD_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "storage_compatibility_version": PUBLISHED_STORAGE_VERSION
}
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
    own = con is None
    if con is None:
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as err:
            raise BilatrusError(
                f"Cannot open the build warehouse {path} to publish it: {err}. Either another process holds it open "
                f"for writing (wait for that run to finish, then publish again) or this process holds a connection "
                f"to it with another configuration (pass that connection to publish as `con`)."
            ) from err
    try:
        con.execute("CHECKPOINT").fetchall()
    except duckdb.Error as err:
        raise BilatrusError(
            f"Cannot checkpoint the build warehouse {path}: {err}. Publish again once no step writes to it."
        ) from err
    finally:
        if own:
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
        source = session.execute("SELECT current_database()").fetchall()[0][0]
        session.execute(
            f"ATTACH {sql_literal(str(target))} AS published_copy (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')"
        )
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
        con.execute(f"ATTACH {sql_literal(str(path))} AS inspected (READ_ONLY)")
        return con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'inspected'"
        ).fetchall()[0][0]
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
    previous = (
        Path(previous_path) if previous_path else published.with_name(published.stem + ".previous" + published.suffix)
    )
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
        raise BilatrusError(
            f"The build warehouse {build} still has a write-ahead log after CHECKPOINT: a step is still writing. Publish again when it has finished."
        )
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
            raise BilatrusError(
                f"The copy of {build} at {temporary} does not open as a DuckDB file: {err}. The published warehouse was left as it was."
            ) from err
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
    previous = (
        Path(previous_path) if previous_path else published.with_name(published.stem + ".previous" + published.suffix)
    )
    if not previous.exists():
        raise BilatrusError(
            f"No previous warehouse at {previous} to roll back to (one is kept from the second publish on)."
        )
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
