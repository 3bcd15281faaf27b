"""What a killed run leaves behind (partial downloads, the publish's temporary copies, a half-written build file)
and its removal, done only while holding the data folder's run lock (runlock.py)."""

from __future__ import annotations

from pathlib import Path

from bilatrus_etl.settings import Settings


def leftovers(settings: Settings, crashed: bool) -> list[Path]:
    """Files a killed run leaves behind: partial downloads and extractions (*.part), the publish's temporary
    copies beside the warehouse, and, after a crash, the half-written build file with its write-ahead log."""
    found = list(settings.raw_dir.rglob("*.part")) if settings.raw_dir.exists() else []
    published = settings.warehouse_path
    if published.parent.exists():
        found += [p for p in published.parent.glob(".*") if p.name.endswith((".tmp", ".tmp.wal", ".rollback"))]
    build = settings.build_path
    wal = build.with_name(build.name + ".wal")
    if crashed or wal.exists():
        found += [p for p in (build, wal) if p.exists()]
    return found


def remove_leftovers(settings: Settings, crashed: bool) -> list[str]:
    """Delete what `leftovers` finds (only ever called while holding the data folder's run lock)."""
    removed = []
    for path in leftovers(settings, crashed):
        path.unlink(missing_ok=True)
        removed.append(
            str(path.relative_to(settings.data_dir)) if path.is_relative_to(settings.data_dir) else str(path)
        )
    return removed
