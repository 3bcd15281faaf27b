"""Storage of the vintage history at full scale: one vintage, then monthly vintages where a few % of rows change.

`python -m bench.vintages WORK [--scale 1.0] [--months 12]` generates a synthetic mirror (bilatrus_etl_synthetic,
scale 1.0 = the size of the real files) unless WORK/mirror exists, builds the warehouse once with the library's
steps (download from the folder mirror, stage, institutions, core and mart models, network; no validation), and
records it as vintage 1. For each further month it changes the staged participations as a monthly CORDIS update
would (2 % of EC contributions revised, 0.5 % of participations removed, 0.5 % added, 0.1 % of organisations
renamed), rebuilds the core tables and marts, and records the next vintage. It prints, per vintage, the bytes the
vintage added to the store (data/history), the rows it stored, and the time taken; then the whole store and the
size of a warehouse file holding the loaded history. Results are written to WORK/vintages.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from bilatrus_etl.ingest import catalog
from bilatrus_etl.ingest.steps import fetch_dataset, stage_dashboards, stage_programmes, stage_reference
from bilatrus_etl.institutions.build import build_institutions, link_institutions
from bilatrus_etl.settings import PROGRAMMES, Settings
from bilatrus_etl.warehouse.models import load_models, run_models, set_variables
from bilatrus_etl.warehouse.network import build_network
from bilatrus_etl.warehouse.run import model_variables
from bilatrus_etl.warehouse.vintages import record as vintage_record
from bilatrus_etl.warehouse.vintages.history import load
from bilatrus_etl.warehouse.vintages.record import record
from bilatrus_etl.warehouse.vintages.store import history_dir, tracked_tables
from bilatrus_etl_synthetic.layout import MANIFEST_FILE
from bilatrus_etl_synthetic.mirror import write_mirror

MUTATIONS = (
    # a month of CORDIS revisions, on a deterministic 'random' few % of the rows ($month varies the choice)
    "UPDATE stg_participation SET ec_contribution = ec_contribution + 1000 "
    "WHERE ec_contribution IS NOT NULL AND hash(project_id, org_key, $month) % 50 = 0",
    "DELETE FROM stg_participation WHERE hash(project_id, org_key, $month, 'gone') % 200 = 0",
    "INSERT INTO stg_participation SELECT * REPLACE (org_key || '-m' || $month AS org_key, NULL AS pic, "
    "name || ' BRANCH ' || $month AS name) FROM stg_participation WHERE hash(project_id, org_key, $month, 'new') % 200 = 0",
    "UPDATE stg_participation SET name = name || ' (RENAMED ' || $month || ')' WHERE hash(org_key, $month) % 1000 = 0",
)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def build(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
    for dataset in catalog.load_catalog():
        fetch_dataset(settings, dataset)
    stage_reference(con, settings)
    stage_programmes(con, settings, list(PROGRAMMES))
    stage_dashboards(con, settings)
    build_institutions(con, settings)
    link_institutions(con, settings)
    rebuild(settings, con)


def rebuild(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
    models = load_models()
    set_variables(con, model_variables(settings))
    names = [n for n, m in models.items() if m.layer in ("core", "marts")]
    run_models(con, names)
    build_network(con)


LOAD_SECONDS: list[float] = []


def _timed_load(load):
    """vintages.history.load, timing each call (record calls it at every publish): the history's share of a publish."""

    def timed(con, history, *args, **kwargs):
        started = time.perf_counter()
        try:
            return load(con, history, *args, **kwargs)
        finally:
            LOAD_SECONDS.append(time.perf_counter() - started)

    return timed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vintages", description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--reuse", action="store_true", help="reuse WORK's staged build file (rebuild core and marts only)"
    )
    args = parser.parse_args(argv)
    work = args.work.resolve()
    mirror = work / "mirror"
    if not (mirror / MANIFEST_FILE).exists():
        started = time.perf_counter()
        write_mirror(mirror, scale=args.scale, seed=42)
        print(f"mirror at scale {args.scale} written in {time.perf_counter() - started:.0f} s", flush=True)
    data = work / "data"
    for folder in ("history",) if args.reuse else ("history", "warehouse"):
        shutil.rmtree(data / folder, ignore_errors=True)
    settings = Settings(data_dir=data, mirror=str(mirror))
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    history = history_dir(settings)
    con = duckdb.connect(str(settings.build_path))
    started = time.perf_counter()
    if (
        args.reuse
        and con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'stg_participation'").fetchall()[0][0]
    ):
        rebuild(settings, con)
    else:
        build(settings, con)
    print(f"warehouse built in {time.perf_counter() - started:.0f} s", flush=True)
    tracked = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in tracked_tables(con)}
    results = []
    vintage_record.load = _timed_load(load)
    for month in range(1, args.months + 1):
        if month > 1:
            for sql in MUTATIONS:
                con.execute(sql, {"month": month})
            rebuild(settings, con)
        before = _size(history)
        started = time.perf_counter()
        outcome = record(con, settings, datasets={"month": str(month)}, synthetic=True, code_fingerprint="bench")
        seconds = time.perf_counter() - started
        entry = outcome.recorded.tables
        results.append(
            {
                "month": month,
                "bytes": _size(history) - before,
                "seconds": round(seconds, 1),
                "load_seconds": round(LOAD_SECONDS[-1], 1) if LOAD_SECONDS else None,
                "rows": sum(e["rows"] for e in entry.values()),
                "rows_added": sum(e["added"] for e in entry.values()),
                "rows_removed": sum(e["removed"] for e in entry.values()),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    started = time.perf_counter()  # a publish from the same sources: no new vintage
    record(con, settings, datasets={"month": str(args.months)}, synthetic=True, code_fingerprint="bench")
    unchanged = round(time.perf_counter() - started, 1)
    con.execute("CHECKPOINT")
    con.close()
    copy = work / "history-only.duckdb"
    copy.unlink(missing_ok=True)
    only = duckdb.connect(str(copy))
    load(only, history)
    only.execute("CHECKPOINT")
    only.close()
    summary = {
        "scale": args.scale,
        "tables": tracked,
        "vintages": results,
        "store_bytes": _size(history),
        "first_vintage_bytes": results[0]["bytes"],
        "history_in_warehouse_bytes": copy.stat().st_size,
        "build_file_bytes": settings.build_path.stat().st_size,
        "unchanged_publish_seconds": unchanged,
    }
    (work / "vintages.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k not in ("vintages", "tables")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
