"""What one published warehouse file holds, for `bilatrus rollback` and `bilatrus doctor`.

Read from the file itself, not from the current settings: its build stamp (`meta_build`: when, from which
mirror, synthetic or not), participations per programme, and the row count of every mart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bilatrus_etl.analyst.catalog import table_columns
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.models import row_count
from bilatrus_etl.warehouse.publish import open_readonly, table_names


@dataclass(frozen=True)
class PublishedState:
    """One published warehouse file: its build stamp, participations per programme, rows per mart."""

    path: Path
    built_at: str | None = None
    synthetic: bool | None = None
    mirror: str | None = None
    mirror_recorded: bool = False
    programmes: dict[str, int] = field(default_factory=dict)
    marts: dict[str, int] = field(default_factory=dict)

    def mirror_text(self) -> str:
        if not self.mirror_recorded:
            return "not recorded (published before meta_build kept the mirror)"
        return self.mirror or "none: official URLs"

    def programmes_text(self) -> str:
        if not self.programmes:
            return "none"
        return ", ".join(f"{programme} ({count:,} participations)" for programme, count in self.programmes.items())

    def headline(self) -> str:
        flag = " SYNTHETIC demo data" if self.synthetic else ""
        return f"built {self.built_at or 'at an unknown time'}{flag}; mirror {self.mirror_text()}; programmes {self.programmes_text()}"


def read_state(path: Path | str) -> PublishedState:
    """The state of the published file at `path` (BilatrusError when it is missing or does not open)."""
    con = open_readonly(path)
    try:
        tables = table_names(con)
        stamp: dict[str, object] = {}
        if "meta_build" in tables:
            cursor = queries.run(con, "read_meta_build")
            names = [column[0] for column in cursor.description]
            row = cursor.fetchone()
            stamp = dict(zip(names, row)) if row else {}
        programmes: dict[str, int] = {}
        if "stg_participation" in tables and "meta_build" in tables:
            programmes = {programme: count for programme, count, _ in queries.run(con, "published_summary").fetchall()}
        marts = {table: row_count(con, table) for table in sorted(tables) if table.startswith("mart_")}
        built_at = stamp.get("built_at")
        return PublishedState(
            path=Path(path),
            built_at=built_at.isoformat(timespec="seconds") if hasattr(built_at, "isoformat") else None,
            synthetic=None if stamp.get("synthetic") is None else bool(stamp.get("synthetic")),
            mirror=None if stamp.get("mirror") is None else str(stamp.get("mirror")),
            mirror_recorded="meta_build" in tables and "mirror" in table_columns(con, "meta_build"),
            programmes=programmes,
            marts=marts,
        )
    finally:
        con.close()


def mart_changes(before: PublishedState, after: PublishedState) -> list[tuple[str, int | None, int | None]]:
    """(mart, rows before, rows after) for every mart in either file; None where a file lacks the mart."""
    names = sorted(set(before.marts) | set(after.marts))
    return [(name, before.marts.get(name), after.marts.get(name)) for name in names]
