"""Publishing the warehouse: the build file, its storage version, the atomic publish, rollback, read-only opens.

Publishing (`publish`) puts the checkpointed build file beside the published path, under a temporary name, in the
storage version PUBLISHED_STORAGE_VERSION (which DuckDB 1.x clients read), fsynced, keeps the current published file
as the previous one (hard link, so the published path never disappears) and renames the new file onto the
published path. A build file created in that version (BUILD_CONFIG, as the pipeline's build connections do) is put
there whole: handed over (a hard link to the build file itself: nothing is copied) when the caller is done with the
build and nothing in this process has it open, else cloned or copied in the kernel; a build of an older or newer
format is rewritten with COPY FROM DATABASE. Readers in other processes hold read-only connections to the old
file's inode and keep reading it, complete, until they reconnect: the writer never opens the published path nor
a file readers can see, so they never get a lock error or a half-built table.

A handed-over build file is the published file until the next writer opens it: `create_build_file`, the call every
writer makes first, then gives the build a copy of its own (`take_back`) and writes that. A build file changed
after it was handed over (someone opened the published warehouse read-write) is no longer what the run built:
`take_back` refuses it; the next `bilatrus run`, or the build the schedule's sensor requests after a run of the
downloads, removes it and rebuilds every programme (`recovery.full_rebuild_reason`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from bilatrus_etl import progress
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
    """Make the build file ready to be written: create it in PUBLISHED_STORAGE_VERSION when it does not exist yet;
    an existing one is kept, given a copy of its own first when the last publish handed it over (`take_back`)."""
    path = Path(path)
    if path.exists():
        take_back(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(path), config=BUILD_CONFIG).close()


def handed_over(path: Path | str) -> bool:
    """Whether the build file at `path` is also a file readers open (hard-linked by `publish(..., hand_over=True)`:
    the published or the previous warehouse)."""
    try:
        return Path(path).stat().st_nlink > 1
    except FileNotFoundError:
        return False


def hand_over_record(build: Path) -> Path:
    """The file where a publish that handed the build file over records what the file was (`_file_state`)."""
    return build.with_name(build.name + ".handed-over")


def _file_state(path: Path) -> dict[str, int]:
    state = path.stat()
    return {"inode": state.st_ino, "bytes": state.st_size, "mtime_ns": state.st_mtime_ns}


def changed_since_hand_over(path: Path | str) -> bool:
    """Whether a handed-over build file was written after its publish (its inode, size or modification time differ
    from what the publish recorded, or nothing was recorded): someone opened the published warehouse read-write,
    and the file is no longer what the run built. False for a build file that was not handed over."""
    build = Path(path)
    if not handed_over(build):
        return False
    try:
        return json.loads(hand_over_record(build).read_text(encoding="utf-8")) != _file_state(build)
    except (OSError, ValueError):
        return True


def take_back(path: Path | str) -> None:
    """Give a handed-over build file a copy of its own (cloned or copied in the kernel, then renamed onto the build
    path), so that writing the build never changes a file readers open; a build file of its own is left as it is.

    Not fsynced: a build file is never trusted after a crash (`recovery.leftovers` removes it). Raises when the file
    was changed after it was handed over (`changed_since_hand_over`): building on it would publish those changes."""
    build = Path(path)
    if not handed_over(build):
        return
    if changed_since_hand_over(build):
        raise BilatrusError(
            f"The build file {build} is also the published warehouse, and it was changed after it was published "
            f"(someone opened the published warehouse read-write). It is no longer what the pipeline built: run "
            f"`bilatrus run`, or a run of the downloads alone (the `build_stale_assets` sensor follows it): either "
            f"removes it and rebuilds every programme from the stored downloads."
        )
    temporary = build.with_name(f".{build.name}.{os.getpid()}.tmp")
    try:
        temporary.unlink(missing_ok=True)
        _copy_file(build, temporary)
        os.replace(temporary, build)
    finally:
        temporary.unlink(missing_ok=True)
    hand_over_record(build).unlink(missing_ok=True)


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
    """What one publish did; `method` is how the new file was made: "link" (the build file handed over), "clone",
    "copy_file_range" or "copy" (a copy of it), "rewrite" (COPY FROM DATABASE into the published storage version)."""

    published_path: Path
    previous_path: Path | None
    bytes: int
    tables: int
    method: str


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
    """Write a copy of the checkpointed build file at `target` (a new path beside the published one), and fsync it;
    return how. What `publish` does when it does not hand the build file over: the build stays the writer's.

    Nothing is copied through Python: a copy-on-write clone where the file system has them (no data written
    at all), else an in-kernel copy (`copy_file_range`: no user-space buffers; server-side on NFS), else a plain
    copy. Either way the build keeps every programme's staged rows for the next per-programme backfill, and readers
    of the published file never see the writer's changes (a handed-over build is copied before it is written)."""
    return _copy_file(build, target, sync=True)


def _copy_file(source_path: Path, target: Path, *, sync: bool = False) -> str:
    """Copy a file without passing it through Python (clone, else in-kernel copy, else plain copy); return how."""
    with open(source_path, "rb") as source, open(target, "wb") as destination:
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
        if sync:
            os.fsync(destination.fileno())
    return how


def _hand_over(build: Path, target: Path) -> str | None:
    """Hard-link the build file as `target` ("link"), when nothing in this process has it open (a DuckDB instance
    here would keep it locked, and could write to it) and the file system allows; else None (the caller copies)."""
    try:
        probe = duckdb.connect(str(build), read_only=True)
    except duckdb.Error:  # an instance of this process holds it (another configuration), or it does not open
        return None
    probe.close()
    try:
        os.link(build, target)
    except OSError:  # another file system (BILATRUS_BUILD_DB elsewhere), or no hard links
        return None
    _fsync_file(target)
    return "link"


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
    hand_over: bool = False,
) -> PublishResult:
    """Publish the build file atomically onto `published_path`, keeping the file it replaces as `previous_path`.

    Steps: checkpoint the build file; put it beside the published path under a temporary name, fsynced: with
    `hand_over` (the caller is done writing the build, and writes it again only through `create_build_file`), a
    hard link to the build file itself when nothing in this process has it open; else a copy
    (`write_published_file`: a copy-on-write clone or an in-kernel copy); check it opens; hard-link the current
    published file to `previous_path`; `os.replace` the new file onto the published path; fsync the folder.
    Readers of the published file are never locked out: the writer never opens the published path, and a
    reader's open connection keeps the old file until it reconnects.
    `previous_path` defaults to `<stem>.previous<suffix>` beside the published file; pass `con` when this
    process already holds a connection to the build file (it is used for the CHECKPOINT; the build is then copied).
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
    if con is None:
        take_back(build)  # a build handed over by the last publish and not written since: never open readers' file
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
            method = (hand_over and con is None and _hand_over(build, temporary)) or write_published_file(
                build, temporary
            )
        else:
            _copy_for_readers(build, temporary, con)
            _fsync_file(temporary)
            method = "rewrite"
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
        if method == "link":  # what the build file is now, so that a change made through the published path shows
            progress.fault_point("hand-over")  # killed here: no record, so the next run rebuilds the build file
            hand_over_record(build).write_text(json.dumps(_file_state(build)), encoding="utf-8")
    finally:
        temporary.unlink(missing_ok=True)
        _wal(temporary).unlink(missing_ok=True)
    return PublishResult(
        published_path=published,
        previous_path=kept,
        bytes=published.stat().st_size,
        tables=tables,
        method=method,
    )


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
