"""The `bilatrus` command.

`run` (and `demo`) launch the Dagster refresh job on the project's persistent instance, so command-line runs
show in the UI's history; the other commands call the library directly.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import TaskID
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from bilatrus_etl import progress
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.settings import Settings

console = Console(stderr=True)


class RichProgress:
    """Download bars and step lines on the terminal."""

    def __init__(self) -> None:
        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()

    def download(self, dataset: str) -> Callable[[int, int | None], None]:
        def update(done: int, total: int | None) -> None:
            with self.lock:  # datasets are downloaded two at a time
                if dataset not in self.tasks:
                    if not self.bars.live.is_started:
                        self.bars.start()
                    self.tasks[dataset] = self.bars.add_task(f"download {dataset}", total=total)
            self.bars.update(self.tasks[dataset], completed=done, total=total)

        return update

    def step(self, name: str) -> None:
        with self.lock:  # steps run two at a time (pipelines/executor.py)
            if self.bars.live.is_started:
                self.bars.stop()
            self.started[name] = time.perf_counter()
            console.print(f"[cyan]▸[/] {name} …")

    def done(self, name: str, detail: str) -> None:
        with self.lock:
            seconds = time.perf_counter() - self.started.pop(name, time.perf_counter())
            console.print(f"[green]✓[/] {name}: {detail} ({seconds:.1f} s)")

    def close(self) -> None:
        if self.bars.live.is_started:
            self.bars.stop()


def _fail(message: str, code: int = 1) -> int:
    console.print(f"[bold red]error:[/] {message}")
    return code


@contextmanager
def _loading() -> Iterator[None]:
    """Loading Dagster and the code location creates a few hundred thousand objects that live as long as the process
    and almost no garbage: the cyclic garbage collector is paused meanwhile (its passes over them are a tenth of the
    load), and what was loaded is then left out of its later passes (`gc.freeze`)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def cmd_run(args: argparse.Namespace) -> int:
    if args.mirror:
        os.environ["BILATRUS_MIRROR"] = args.mirror
    if args.focus_country:
        os.environ["BILATRUS_FOCUS_COUNTRY"] = args.focus_country.upper()
    if getattr(args, "dashboard", None):
        os.environ["BILATRUS_DASHBOARD"] = os.pathsep.join(args.dashboard)
    with _loading():
        from pipelines import runner

        location = runner.code_location()
    sink = RichProgress()
    progress.install(sink)

    def waiting(holder: dict) -> None:
        from bilatrus_etl.warehouse import runlock

        console.print(f"[yellow]…[/] waiting for {runlock.describe(holder)} to finish (same data folder)")

    try:
        outcome = runner.refresh(
            programmes=args.programmes,
            force=args.force,
            wait=getattr(args, "wait", False),
            on_wait=waiting,
            notify=console.print,
            location=location,
        )
    except BilatrusError as err:
        return _fail(str(err))
    finally:
        progress.install(None)
        sink.close()
    for line in outcome.summary_lines():
        console.print(line)
    return 0 if outcome.success else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from bilatrus_etl_synthetic.mirror import write_mirror
    from bilatrus_etl_synthetic.revise import revise_mirror

    settings = Settings.from_env()
    mirror = Path(args.mirror or settings.data_dir / "demo-mirror")
    if getattr(args, "revise", False):
        try:
            revision = revise_mirror(mirror)
        except ValueError as err:
            return _fail(f"cannot revise the demo mirror: {err}")
        console.print(
            f"[yellow]SYNTHETIC[/] demo mirror {mirror} revised (round {revision['round']}): "
            f"{revision['summary']}. Run `bilatrus diff` afterwards to see the changes."
        )
    else:
        write_mirror(mirror, scale=args.scale, seed=args.seed)
        console.print(
            f"[yellow]SYNTHETIC[/] demo mirror written to {mirror}: every output built from it is marked synthetic."
        )
    args.mirror, args.programmes, args.focus_country, args.dashboard = str(mirror), None, None, None
    return cmd_run(args)


def cmd_vintages(args: argparse.Namespace) -> int:
    from bilatrus_etl.analyst.query import format_result
    from bilatrus_etl.warehouse.vintages.changes import store_summary, vintages_table
    from bilatrus_etl.warehouse.vintages.record import prune
    from bilatrus_etl.warehouse.vintages.store import history_dir

    settings = Settings.from_env()
    if args.keep is not None:
        pruned = prune(history_dir(settings), args.keep)
        console.print(
            f"pruned {len(pruned)} vintage(s) from {history_dir(settings)}"
            + (
                f" ({', '.join(map(str, pruned))}); the published warehouse drops them at the next publish"
                if pruned
                else ""
            )
        )
    _emit(format_result(vintages_table(settings.warehouse_path), args.format), args.output)
    stored = store_summary(history_dir(settings))
    console.print(
        f"history store {history_dir(settings)}: {len(stored)} vintage(s), "
        f"{sum(v['bytes'] for v in stored) / 1e6:.1f} MB on disk"
    )
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from bilatrus_etl.warehouse.vintages.changes import diff

    settings = Settings.from_env()
    _warn_if_synthetic(settings.warehouse_path)
    change = diff(settings.warehouse_path, args.from_vintage, args.to_vintage, args.country)
    _emit(change.render(args.format), args.output)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from bilatrus_etl.warehouse import doctor

    report = doctor.diagnose(Settings.from_env(mirror=args.mirror), check_network=not args.offline)
    from pipelines import runner

    report["last run"].append(runner.last_run_row())
    for section, rows in report.items():
        console.print(f"[bold]{section}[/]")
        for label, ok, detail in rows:
            mark = "[green]ok[/]" if ok else ("[red]!![/]" if ok is False else "[dim]--[/]")
            console.print(f"  {mark} {label}: {detail}")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from bilatrus_etl.analyst.query import query

    settings = Settings.from_env()
    if args.output and Path(args.output).resolve() in {
        p.resolve() for p in (settings.warehouse_path, settings.previous_warehouse_path, settings.build_path)
    }:
        raise BilatrusError(f"--output {args.output} is a warehouse file; write query results to another file.")
    _warn_if_synthetic(settings.warehouse_path)
    out = query(settings.warehouse_path, args.sql, args.format)
    _emit(out, args.output)
    return 0


def _warn_if_synthetic(path: Path) -> None:
    from bilatrus_etl.analyst.catalog import SYNTHETIC_WARNING, is_synthetic

    if is_synthetic(path):
        console.print(f"[yellow]{SYNTHETIC_WARNING}[/]")


def _emit(out: str | bytes, output: str | None) -> None:
    if output:
        Path(output).write_bytes(out if isinstance(out, bytes) else out.encode("utf-8"))
        console.print(f"written {output}")
    elif isinstance(out, bytes):
        sys.stdout.buffer.write(out)
    else:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")


def cmd_export(args: argparse.Namespace) -> int:
    from bilatrus_etl.analyst.export import export

    _warn_if_synthetic(Settings.from_env().warehouse_path)
    paths = export(Settings.from_env().warehouse_path, Path(args.to))
    console.print(f"exported {len(paths)} files to {args.to}")
    return 0


def cmd_dictionary(args: argparse.Namespace) -> int:
    from bilatrus_etl.warehouse import dictionary

    settings = Settings.from_env()
    path = dictionary.write_markdown(settings.warehouse_path, Path(args.output))
    console.print(f"data dictionary written to {path}")
    return 0


def cmd_active(args: argparse.Namespace) -> int:
    from bilatrus_etl.analyst.active import active_projects

    settings = Settings.from_env()
    _warn_if_synthetic(settings.warehouse_path)
    out = active_projects(
        settings.warehouse_path, args.on, (args.country or settings.focus_country).upper(), args.format
    )
    _emit(out, args.output)
    return 0


def cmd_institution(args: argparse.Namespace) -> int:
    from bilatrus_etl.analyst.lookup import institution_profile

    print(institution_profile(Settings.from_env().warehouse_path, args.name))
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from bilatrus_etl.institutions.link import resolve_csv
    from bilatrus_etl.institutions.matcher import REVIEW_SCORE

    resolved = resolve_csv([Path(p) for p in args.registry], Path(args.input), Path(args.output))
    matched = int((resolved["ror_id"] != "").sum())
    methods = ", ".join(f"{method} {count}" for method, count in resolved["method"].value_counts().items())
    console.print(f"wrote {args.output}: {matched} of {len(resolved)} rows matched ({methods})")
    review = resolved[(resolved["ror_id"] == "") & (resolved["runner_up_score"].fillna(0) >= REVIEW_SCORE)]
    if len(review):
        console.print(
            f"{len(review)} unmatched row(s) have a candidate scoring {REVIEW_SCORE:.0f} or more: "
            "not clear enough to match; review them in the runner_up_* columns"
        )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from bilatrus_etl.warehouse import published
    from bilatrus_etl.warehouse.publish import rollback

    settings = Settings.from_env()
    if not settings.previous_warehouse_path.exists():
        return _fail(
            f"No previous warehouse at {settings.previous_warehouse_path}: nothing to roll back to "
            f"(one is kept from the second publish on)."
        )
    now, back = published.read_state(settings.warehouse_path), published.read_state(settings.previous_warehouse_path)
    console.print(f"published now:  {now.headline()}")
    console.print(f"after rollback: {back.headline()}")
    for mart, before, after in published.mart_changes(now, back):
        change = "" if before == after else "  (changed)"
        console.print(f"  {mart}: {_rows(before)} -> {_rows(after)} rows{change}")
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail("Not a terminal: run `bilatrus rollback --yes` to confirm the rollback.")
        answer = console.input(
            f"Put the warehouse built {back.built_at or 'earlier'} back on {settings.warehouse_path}? \\[y/N] "
        )
        if answer.strip().lower() not in {"y", "yes"}:
            console.print("Nothing changed.")
            return 1
    rollback(settings.warehouse_path, settings.previous_warehouse_path)
    console.print(
        f"[green]✓[/] rolled back: {settings.warehouse_path} is the warehouse built {back.built_at}; the one built "
        f"{now.built_at} is kept as {settings.previous_warehouse_path.name} (`bilatrus rollback` again undoes this). "
        f"The next `bilatrus run` republishes only when a source or the code changed; `--force` rebuilds now."
    )
    return 0


def _rows(count: int | None) -> str:
    return "absent" if count is None else f"{count:,}"


def cmd_report(args: argparse.Namespace) -> int:
    from bilatrus_etl import report

    settings = Settings.from_env()
    output = Path(args.output) if args.output else settings.reports_dir
    result = report.build_report(settings.warehouse_path, output)
    if result.synthetic:
        console.print("[yellow]SYNTHETIC[/] warehouse: every page of the report carries the synthetic banner.")
    console.print(f"report: {report.summary(result)}")
    print(result.index)
    if args.open:
        import webbrowser

        webbrowser.open(result.index.resolve().as_uri())
    return 0


def cmd_init_instance(args: argparse.Namespace) -> int:
    from pipelines import runner

    home = runner.ensure_instance_home()
    console.print(f"Dagster instance at {home}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bilatrus", description="EU-Russia research collaboration warehouse.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="download, stage, validate, build and publish (the Dagster refresh job)")
    run.add_argument("--mirror", help="local folder or base URL holding the official files (or BILATRUS_MIRROR)")
    run.add_argument("--programmes", help="comma-separated subset of fp6,fp7,h2020,he (default: all)")
    run.add_argument("--force", action="store_true", help="rebuild even when no source changed")
    run.add_argument(
        "--wait",
        action="store_true",
        help="when another run uses the same data folder, wait for it instead of refusing",
    )
    run.add_argument("--focus-country", help="ISO code of the focus country of the marts (default RU)")
    run.add_argument(
        "--dashboard",
        action="append",
        help="a Horizon Dashboard export (csv/xlsx) or a folder of them "
        "to add beside the official files (repeatable; or BILATRUS_DASHBOARD)",
    )
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="write a small synthetic mirror and run the whole pipeline on it")
    demo.add_argument("--mirror", help="where to write the synthetic mirror (default data/demo-mirror)")
    demo.add_argument("--scale", type=float, default=0.01, help="fraction of full scale (default 0.01)")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--force", action="store_true")
    demo.add_argument("--wait", action="store_true", help="wait for a run on the same data folder instead of refusing")
    demo.add_argument(
        "--revise",
        action="store_true",
        help="revise the existing demo mirror like a monthly CORDIS "
        "update (participations added, removed and revised, an organisation renamed), then run",
    )
    demo.set_defaults(func=cmd_demo)

    vintages = sub.add_parser("vintages", help="list the vintages kept in the published warehouse")
    vintages.add_argument("--keep", type=int, help="prune the history to the N latest vintages (never the current one)")
    vintages.add_argument("--format", choices=["table", "csv", "json"], default="table")
    vintages.add_argument("--output")
    vintages.set_defaults(func=cmd_vintages)

    diff = sub.add_parser(
        "diff", help="what changed between two vintages for the focus country (default: the last two)"
    )
    diff.add_argument(
        "--from", dest="from_vintage", help="earlier vintage (label or number; default: the one before --to)"
    )
    diff.add_argument("--to", dest="to_vintage", help="later vintage (label or number; default: the current one)")
    diff.add_argument("--country", help="ISO code (default: the focus country of the later vintage)")
    diff.add_argument("--format", choices=["table", "csv", "json"], default="table")
    diff.add_argument("--output")
    diff.set_defaults(func=cmd_diff)

    doctor = sub.add_parser("doctor", help="configuration, sources reachable, last run, data docs")
    doctor.add_argument("--mirror")
    doctor.add_argument("--offline", action="store_true", help="skip the reachability checks")
    doctor.set_defaults(func=cmd_doctor)

    query = sub.add_parser(
        "query",
        help="run one read-only SQL statement on the published warehouse (sandboxed: "
        "no file or network access; --output writes the result)",
    )
    query.add_argument("sql")
    query.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    query.add_argument("--output", help="write to this file instead of standard output")
    query.set_defaults(func=cmd_query)

    export = sub.add_parser("export", help="every mart as Parquet and CSV")
    export.add_argument("--to", required=True)
    export.set_defaults(func=cmd_export)

    dictionary = sub.add_parser("dictionary", help="write the data dictionary (Markdown)")
    dictionary.add_argument("--output", default="docs/data-dictionary.md")
    dictionary.set_defaults(func=cmd_dictionary)

    active = sub.add_parser("active", help="projects with the focus country running on a date")
    active.add_argument("--on", required=True, help="date, YYYY-MM-DD")
    active.add_argument("--country", help="ISO code (default: the focus country)")
    active.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    active.add_argument("--output")
    active.set_defaults(func=cmd_active)

    institution = sub.add_parser("institution", help="profile of an institution found by fuzzy name")
    institution.add_argument("name")
    institution.set_defaults(func=cmd_institution)

    resolve = sub.add_parser("resolve", help="match a CSV of organisations to ROR institutions")
    resolve.add_argument("--registry", action="append", required=True, help="ROR dump zip or JSON (repeatable)")
    resolve.add_argument("--input", required=True, help="CSV with name, city, country and optionally pic")
    resolve.add_argument("--output", required=True)
    resolve.set_defaults(func=cmd_resolve)

    rollback = sub.add_parser(
        "rollback", help="put the previous published warehouse back (a second rollback undoes it)"
    )
    rollback.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (required without a terminal)"
    )
    rollback.set_defaults(func=cmd_rollback)
    report_cmd = sub.add_parser("report", help="the landscape report and institution pages (HTML, offline)")
    report_cmd.add_argument("--output", help="folder to write (default data/reports); replaced as a whole")
    report_cmd.add_argument("--open", action="store_true", help="open index.html in the default browser")
    report_cmd.set_defaults(func=cmd_report)

    init = sub.add_parser("init-instance", help="create the persistent Dagster instance (DAGSTER_HOME)")
    init.set_defaults(func=cmd_init_instance)
    return parser


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=".*is currently in beta.*")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BilatrusError as err:
        return _fail(str(err))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def command() -> NoReturn:
    """The `bilatrus` executable (and `python -m pipelines.cli`): `main`, then the process ends as soon as its work
    is done. Other threads are waited for, exit handlers run and output is flushed as at any exit, but Python's
    teardown of every imported module is skipped: after a run that loaded Dagster, pandas and Great Expectations it
    takes seconds of CPU and frees nothing the system does not free itself (by then the run lock is released and
    every DuckDB and SQLite connection is closed). An exception escaping `main` ends the process the usual way."""
    code = main()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()  # the handlers a normal exit runs (logging's flush among them)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    command()
