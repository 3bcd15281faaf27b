"""What a killed run leaves behind (partial downloads, the publish's temporary copies, a half-written build file)
and its removal, done only while holding the data folder's run lock (runlock.py)."""

from __future__ import annotations

from pathlib import Path

from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.publish import changed_since_hand_over, hand_over_record


def leftovers(settings: Settings, crashed: bool) -> list[Path]:
    """Files a killed run leaves behind: partial downloads and extractions (*.part), the publish's temporary
    files beside the warehouse and the build file's copy under way (`publish.take_back`), and, after a crash, the
    half-written build file with its write-ahead log."""
    found = list(settings.raw_dir.rglob("*.part")) if settings.raw_dir.exists() else []
    build = settings.build_path
    for folder in dict.fromkeys((settings.warehouse_path.parent, build.parent)):
        if folder.exists():
            found += [p for p in folder.glob(".*") if p.name.endswith((".tmp", ".tmp.wal", ".rollback"))]
    wal = build.with_name(build.name + ".wal")
    if crashed or wal.exists():
        found += [p for p in (build, wal, hand_over_record(build)) if p.exists()]
    return found


def discard_changed_build(settings: Settings) -> str | None:
    """Remove the build file when it was handed over as the published warehouse and changed since
    (`publish.changed_since_hand_over`): it is no longer what a run built. The published file stays as it is (only
    the build's name goes); return what was done, for the run to say, or None when there was nothing to do."""
    build = settings.build_path
    if not changed_since_hand_over(build):
        return None
    for path in (build, hand_over_record(build)):
        path.unlink(missing_ok=True)
    return (
        f"the build file {build.name} was also the published warehouse and was changed after it was published "
        f"(someone opened {settings.warehouse_path.name} read-write): removed it, rebuilding every programme"
    )


def full_rebuild_reason(settings: Settings) -> str | None:
    """Why the next build must rebuild every programme from the stored downloads, or None: there is no build file,
    or the one there was changed after its publish handed it over (removed here: `discard_changed_build`; only ever
    called while holding the data folder's run lock)."""
    if not settings.build_path.exists():
        return f"no build file {settings.build_path.name}: building every programme"
    return discard_changed_build(settings)


def remove_leftovers(settings: Settings, crashed: bool) -> list[str]:
    """Delete what `leftovers` finds (only ever called while holding the data folder's run lock)."""
    removed = []
    for path in leftovers(settings, crashed):
        path.unlink(missing_ok=True)
        removed.append(
            str(path.relative_to(settings.data_dir)) if path.is_relative_to(settings.data_dir) else str(path)
        )
    return removed
