"""Data quality: Great Expectations suites from expectations/, run against DuckDB tables.

One suite per table, stored in GX 1.x's own JSON suite format as `expectations/<table>.json`. Every
expectation carries `meta.severity`: "error" (the default) blocks the publish, "warn" only warns
(`ValidationOutcome.passed_errors`, `.warnings`).

Row-level rules over whole tables (not null, ranges, sets, regex, uniqueness, column pairs) are evaluated as SQL
aggregates in DuckDB by `sql_checks` (counts and the first unexpected values, GX's semantics and result shape),
so validating scales with the warehouse, not with its rows; their results join GX's in the same validation
result and Data Docs (batch "sql"). `validate_table(engine="gx")` gives every rule to GX instead.

GX's SQL datasource does not work on DuckDB 2, so the rest is read from DuckDB (through Arrow) into bounded
pandas batches:
- the *schema* batch (zero rows, every column) for table-shape expectations such as
  `expect_table_columns_to_match_set` with exact_match (schema drift): a renamed column is named;
- the *rows* batch, only for rules sql_checks does not translate: only the columns they refer to (wide text
  columns that no rule reads never leave DuckDB); DECIMAL columns arrive as DOUBLE;
- derived batches for the rules GX has no expectation for, declared in the suite's `meta` and checked with
  ordinary GX expectations on frames computed in DuckDB:
  * `foreign_keys`: [{"column": "org_key", "references": "dim_organization.org_key", "severity": ...}]
    (or "columns": [...] with "references": "table(col, ...)"). DuckDB left-joins the child rows to the
    distinct parent keys; the frame holds the child key where it has no parent and NULL where it resolves,
    validated with `expect_column_values_to_be_null`, so the unexpected values are the orphan keys. One
    column leaves DuckDB and no value_set of every parent key lands in the suite, the results or the Data
    Docs: this scales to the full fact table (500k rows).
  * `row_count_by_programme`: {"column": "framework_programme", "bounds": {"FP7": [min, max], ...}}.
    DuckDB counts rows per programme; a one-row frame with a column `n_rows[<programme>]` per programme is
    validated with `expect_column_values_to_be_between`. Programmes checked: those passed to
    `validate_table(programmes=...)` (one with no rows counts 0 and fails), else those present.
  * `column_types`: {"types": {"start_date": "DATE", ...}} compares DuckDB's declared types (dates that did
    not parse leave a VARCHAR column): one-row frame `type[<column>]`, `expect_column_values_to_be_in_set`.
- suite parameters: `{"$PARAMETER": "iso3166_alpha2"}` in a kwarg is GX's own placeholder, resolved at
  validation time from `SUITE_PARAMETERS` (the ISO set comes from pycountry).

All results of one table are combined into one GX validation result. With `data_docs_dir`, it is stored in
`<data_docs_dir>/.results/` (on disk, so the index lists the runs of every process) and the GX Data Docs
site at `<data_docs_dir>/index.html` is rebuilt, then made to work offline (offline_docs: GX's CDN scripts and
styles vendored into the site). GX is imported lazily, once per process; its context is
ephemeral (no gx/ folder), cached at module level, with progress bars off.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from bilatrus_etl.quality import offline_docs
from bilatrus_etl.quality import sql_checks
from bilatrus_etl.errors import BilatrusError

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context import AbstractDataContext

from bilatrus_etl.resources import EXPECTATIONS_DIR

Severity = Literal["error", "warn"]
SEVERITIES: tuple[str, ...] = ("error", "warn")
SAMPLE_SIZE = 10
PROGRAMME_COLUMN = "framework_programme"
VALIDATION_RUNS_TABLE = "meta_validation_runs"
# BASIC: counts, percentages and the first unexpected values (deduplicated to SAMPLE_SIZE below); SUMMARY
# would add value counts and row indexes nobody reads.
RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 100}
# Data Docs keep the latest runs of each suite and batch; older results and pages are deleted, so the
# index (rebuilt by every validation) stays quick to build and the folder does not grow run after run.
DOCS_RUNS_KEPT = 3
DOCS_INDEX_LIMIT = 40  # results listed on the index page, newest first: the last full run and more

# Table-shape expectations: evaluated on a zero-row frame holding every column of the table.
SCHEMA_EXPECTATIONS = frozenset(
    {
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_column_to_exist",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
    }
)
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_LIST_COLUMN_KWARGS = ("column_list",)
_GX_SEVERITY = {"error": "critical", "warn": "warning"}
_FROM_GX_SEVERITY = {"critical": "error", "warning": "warn", "info": "warn"}
_REFERENCE = re.compile(r"^\s*([A-Za-z_][\w.]*?)\s*(?:\(\s*([^)]*)\)|\.([A-Za-z_]\w*))\s*$")


# --------------------------------------------------------------------------------------------------
# Suite parameters (GX's {"$PARAMETER": name} placeholders)
# --------------------------------------------------------------------------------------------------


def iso3166_alpha2() -> list[str]:
    """ISO 3166-1 alpha-2 codes (pycountry): current ones, former ones withdrawn into ISO 3166-3 (YU, CS, AN:
    old FP6 records keep them, as clean.ref_country_code does), and XK, the user-assigned code the EU and
    CORDIS use for Kosovo."""
    import pycountry

    current = {country.alpha_2 for country in pycountry.countries}
    former = {getattr(country, "alpha_2", None) for country in pycountry.historic_countries}
    return sorted(current | {code for code in former if code} | {"XK"})


SUITE_PARAMETERS: dict[str, Callable[[], Any]] = {"iso3166_alpha2": iso3166_alpha2}
_PARAMETER_CACHE: dict[str, Any] = {}


def suite_parameter(name: str) -> Any:
    """The value of one suite parameter, computed once per process."""
    if name not in _PARAMETER_CACHE:
        if name not in SUITE_PARAMETERS:
            known = ", ".join(sorted(SUITE_PARAMETERS))
            raise BilatrusError(f"Unknown suite parameter {name!r} in an expectations/ suite; known: {known}.")
        _PARAMETER_CACHE[name] = SUITE_PARAMETERS[name]()
    return _PARAMETER_CACHE[name]


def _parameters_used(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return {str(value["$PARAMETER"])}
        return set().union(*(_parameters_used(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_parameters_used(v) for v in value)) if value else set()
    return set()


# --------------------------------------------------------------------------------------------------
# The GX context: imported lazily, created once per process
# --------------------------------------------------------------------------------------------------

_GX_LOCK = threading.RLock()
_CONTEXT: AbstractDataContext | None = None
_DOCS_SITES: dict[str, tuple[str, str]] = {}
_BATCH_DEFINITIONS: dict[str, Any] = {}


def gx_context() -> AbstractDataContext:
    """The process's GX context: ephemeral (no gx/ folder), progress bars and analytics off."""
    global _CONTEXT
    with _GX_LOCK:
        if _CONTEXT is None:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig
            from great_expectations.execution_engine import pandas_execution_engine

            # GX fingerprints every pandas batch (md5 of hash_pandas_object) for its batch markers only;
            # on a 500k-row table that is ~0.3 s of pure overhead. Frames below the threshold are hashed.
            if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
                pandas_execution_engine.HASH_THRESHOLD = 0
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            context.data_sources.add_pandas("bilatrus_duckdb")
            _CONTEXT = context
        return _CONTEXT


def _batch_definition(asset_name: str) -> Any:
    with _GX_LOCK:
        if asset_name not in _BATCH_DEFINITIONS:
            datasource = gx_context().data_sources.get("bilatrus_duckdb")
            asset = datasource.add_dataframe_asset(asset_name)
            _BATCH_DEFINITIONS[asset_name] = asset.add_batch_definition_whole_dataframe("whole")
        return _BATCH_DEFINITIONS[asset_name]


def _docs_site(data_docs_dir: Path) -> tuple[str, str]:
    """(site name, validation-results store name) for one Data Docs folder. Results are kept on disk in
    `<data_docs_dir>/.results/`, so the index lists the runs of every process, not only this one's."""
    key = str(data_docs_dir.resolve())
    with _GX_LOCK:
        if key not in _DOCS_SITES:
            context = gx_context()
            suffix = hashlib.sha1(key.encode()).hexdigest()[:10]
            store_name, site_name = f"bilatrus_results_{suffix}", f"bilatrus_site_{suffix}"
            context.add_store(
                store_name,
                {
                    "class_name": "ValidationResultsStore",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{key}/.results"},
                },
            )
            context.add_data_docs_site(
                site_name,
                {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": key},
                    "site_index_builder": {
                        "class_name": "DefaultSiteIndexBuilder",
                        "validation_results_limit": DOCS_INDEX_LIMIT,
                    },
                    "site_section_builders": {
                        "validations": {"source_store_name": store_name},
                        "profiling": "None",
                        "expectations": "None",
                    },
                },
            )
            _DOCS_SITES[key] = (site_name, store_name)
        return _DOCS_SITES[key]


# --------------------------------------------------------------------------------------------------
# Suites
# --------------------------------------------------------------------------------------------------


def list_suites(expectations_dir: Path | None = None) -> list[str]:
    """Names of the suites in expectations/ (each the name of the table it guards)."""
    folder = expectations_dir or EXPECTATIONS_DIR
    return sorted(path.stem for path in folder.glob("*.json"))


def suite_names(expectations_dir: Path | None = None) -> list[str]:
    """Alias of list_suites: the tables that have a suite."""
    return list_suites(expectations_dir)


def read_suite_json(name: str, expectations_dir: Path | None = None) -> dict[str, Any]:
    """The suite file as a dict, checked for the fields this library relies on."""
    folder = expectations_dir or EXPECTATIONS_DIR
    path = folder / f"{name}.json"
    if not path.exists():
        available = ", ".join(list_suites(folder)) or "none"
        raise BilatrusError(f"No expectation suite {name!r}: {path} does not exist (suites available: {available}).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise BilatrusError(f"Expectation suite {path} is not valid JSON: {err}. Fix the file.") from err
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise BilatrusError(f"Expectation suite {path} must be a GX suite object with an 'expectations' list.")
    data.setdefault("name", name)
    meta = data.setdefault("meta", {})
    for position, expectation in enumerate(data["expectations"]):
        _check_severity(_meta_severity(expectation), f"{path} expectation {position} ({expectation.get('type')})")
        expectation.setdefault("meta", {})
    for fk in meta.get("foreign_keys", []):
        _check_severity(fk.get("severity", "error"), f"{path} meta.foreign_keys {fk}")
        _parse_foreign_key(fk, str(path))
    for key in ("row_count_by_programme", "column_types"):
        if key in meta:
            _check_severity(meta[key].get("severity", "error"), f"{path} meta.{key}")
    return data


def _meta_severity(expectation: Mapping[str, Any]) -> str:
    meta = expectation.get("meta") or {}
    if "severity" in meta:
        return str(meta["severity"])
    native = expectation.get("severity")
    return _FROM_GX_SEVERITY.get(str(native), "error") if native else "error"


def _check_severity(severity: str, where: str) -> None:
    if severity not in SEVERITIES:
        raise BilatrusError(f"{where}: severity must be one of {SEVERITIES}, not {severity!r}.")


def load_suite(name: str, *, expectations_dir: Path | None = None) -> ExpectationSuite:
    """The GX ExpectationSuite stored in expectations/<name>.json.

    `meta.severity` of every expectation is set ("error" unless "warn") and mirrored onto GX's own
    `severity` field (critical / warning) so the Data Docs show it too. `$PARAMETER` placeholders stay
    in place; `validate_table` supplies their values.
    """
    data = read_suite_json(name, expectations_dir)
    expectations = []
    for expectation in data["expectations"]:
        severity = _meta_severity(expectation)
        expectations.append(
            {
                **expectation,
                "meta": {**expectation.get("meta", {}), "severity": severity},
                "severity": _GX_SEVERITY[severity],
            }
        )
    gx_context()
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_suite import expectationSuiteSchema

    try:
        loaded = expectationSuiteSchema.load({**data, "expectations": expectations})
        return ExpectationSuite(**loaded)
    except Exception as err:  # GX raises marshmallow and pydantic errors with the cause in the text
        raise BilatrusError(f"Expectation suite {name!r} does not load in Great Expectations: {err}") from err


# --------------------------------------------------------------------------------------------------
# Outcome
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationOutcome:
    """The result of validating one table with its suite.

    `failures`: one dict per failing expectation: expectation, column, severity, unexpected_count,
    unexpected_percent, sample (at most 10 distinct bad values), message, batch.
    `success` is True only when nothing failed; `passed_errors` when no blocking (error) rule failed.
    """

    table: str
    suite: str
    success: bool
    severity: Severity | None
    failures: list[dict[str, Any]]
    evaluated: int
    duration_s: float
    started_at: datetime
    row_count: int | None = None
    programmes: tuple[str, ...] | None = None
    data_docs_path: Path | None = None
    data_docs_page: Path | None = None
    data_docs_error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failing(self) -> list[dict[str, Any]]:
        """Alias of `failures`."""
        return self.failures

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] == "error"]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] == "warn"]

    @property
    def passed_errors(self) -> bool:
        """True when no blocking rule failed (warnings allowed): the publish may go on."""
        return not self.errors

    def summary(self) -> str:
        """One paragraph for a person: what failed, where, with examples."""
        scope = f" ({', '.join(self.programmes)})" if self.programmes else ""
        if self.success:
            return f"{self.table}{scope}: all {self.evaluated} expectations of suite {self.suite!r} passed."
        parts = [f"{self.table}{scope}: {len(self.errors)} blocking failure(s), {len(self.warnings)} warning(s)"]
        parts += [f"[{f['severity']}] {f['message']}" for f in self.failures]
        if self.data_docs_path:
            parts.append(f"Data Docs: {self.data_docs_page or self.data_docs_path}")
        if self.data_docs_error:
            parts.append(self.data_docs_error)
        return "\n".join(parts)

    def metadata(self) -> dict[str, Any]:
        """A JSON-serialisable digest for asset-check metadata."""
        return {
            "table": self.table,
            "suite": self.suite,
            "success": self.success,
            "passed_errors": self.passed_errors,
            "severity": self.severity,
            "evaluated": self.evaluated,
            "failed": len(self.failures),
            "row_count": self.row_count,
            "programmes": list(self.programmes) if self.programmes else None,
            "duration_s": round(self.duration_s, 3),
            "failures": self.failures,
            "data_docs_path": str(self.data_docs_path) if self.data_docs_path else None,
            "data_docs_page": str(self.data_docs_page) if self.data_docs_page else None,
            "data_docs_error": self.data_docs_error,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------


@dataclass
class _Batch:
    label: str
    frame: pd.DataFrame
    expectations: list[Any]


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query's result as a pandas DataFrame, through Arrow (about 3x faster than `.df()` on text columns).

    DECIMAL and HUGEINT columns must be cast to DOUBLE by the caller (see `_select_list`): Arrow would hand
    them to pandas as Python objects. Dates arrive as datetime64.
    """
    return con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)


def _select_list(columns: Mapping[str, str], names: Sequence[str]) -> str:
    """SELECT items for `names`, DECIMAL/HUGEINT cast to DOUBLE (checks compare values, not their scale)."""
    items = []
    for name in names:
        type_ = columns.get(name, "").upper()
        if type_.startswith("DECIMAL") or type_ in ("HUGEINT", "UHUGEINT"):
            items.append(f"CAST({_quote(name)} AS DOUBLE) AS {_quote(name)}")
        else:
            items.append(_quote(name))
    return ", ".join(items)


def _quote(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    """Column name -> DuckDB type, in table order; None when the table (or view) does not exist."""
    try:
        rows = con.execute(f"DESCRIBE {_quote(table)}").fetchall()
    except duckdb.CatalogException:
        return None
    return {str(row[0]): str(row[1]) for row in rows}


def _parse_foreign_key(fk: Mapping[str, Any], where: str) -> tuple[list[str], str, list[str]]:
    columns = [fk["column"]] if "column" in fk else list(fk.get("columns") or [])
    match = _REFERENCE.match(str(fk.get("references", "")))
    if not columns or not match:
        raise BilatrusError(
            f"{where}: a foreign key needs 'column' (or 'columns') and 'references' as 'table.column' "
            f"or 'table(col, ...)'; got {dict(fk)}."
        )
    parent = match.group(1)
    ref_columns = [c.strip() for c in match.group(2).split(",")] if match.group(2) is not None else [match.group(3)]
    if len(ref_columns) != len(columns):
        raise BilatrusError(f"{where}: foreign key {columns} -> {parent}{ref_columns} has unequal column counts.")
    return columns, parent, ref_columns


def _referenced_columns(expectation: Any) -> list[str]:
    config = expectation.configuration
    names: list[str] = []
    for key in _COLUMN_KWARGS:
        if isinstance(config.kwargs.get(key), str):
            names.append(config.kwargs[key])
    for key in _LIST_COLUMN_KWARGS:
        names += [c for c in config.kwargs.get(key) or [] if isinstance(c, str)]
    return names


def _make_expectation(type_: str, kwargs: dict[str, Any], meta: dict[str, Any]) -> Any:
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    severity = meta.get("severity", "error")
    return ExpectationConfiguration(
        type=type_, kwargs=kwargs, meta={**meta, "severity": severity}, severity=_GX_SEVERITY[severity]
    ).to_domain_obj()


def _library_failure(check: str, column: str | None, severity: str, message: str) -> dict[str, Any]:
    """A failure found before GX could run (missing table, missing parent table, ...)."""
    return {
        "expectation": check,
        "column": column,
        "severity": severity,
        "unexpected_count": None,
        "unexpected_percent": None,
        "sample": [],
        "message": message,
        "batch": "library",
    }


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    suite: str | ExpectationSuite | None = None,
    data_docs_dir: Path | str | None = None,
    programmes: Sequence[str] | None = None,
    row_count_bounds: Mapping[str, Sequence[int | None]] | None = None,
    run_name: str | None = None,
    expectations_dir: Path | None = None,
    docs_policy: str = "always",
    engine: str = "sql",
) -> ValidationOutcome:
    """Validate one DuckDB table with its suite (by default expectations/<table>.json).

    programmes: restrict the rows to these framework programmes (when the table has the programme
        column) and require each of them in the per-programme row-count bounds (0 rows fails).
    row_count_bounds: {programme: (min, max)} overriding the suite's meta.row_count_by_programme.bounds.
    data_docs_dir: when given, the result is stored there and GX Data Docs rebuilt; index.html is returned.
    docs_policy: when to rebuild the Data Docs site: "always", "on_failure" (a pipeline that rebuilds the site
        once at its end with build_data_docs, but wants a failing table's page at once), or "never".
    run_name: shown in the Data Docs (e.g. the Dagster run id).
    engine: "sql" (default) evaluates the row-level rules sql_checks can translate as aggregates in DuckDB over
        the whole table (GX semantics, results shaped as GX's, in the same Data Docs) and gives GX only the
        rest; "gx" gives every rule to GX on pandas batches (the reference the SQL path is tested against).
    """
    started_at = datetime.now(UTC)
    start = time.perf_counter()
    timings: dict[str, float] = {}
    if suite is None or isinstance(suite, str):
        suite_obj = load_suite(suite or table, expectations_dir=expectations_dir)
    else:
        suite_obj = suite
    timings["load_s"] = time.perf_counter() - start  # includes the GX import on a process's first call
    meta: dict[str, Any] = dict(suite_obj.meta or {})
    scope = tuple(programmes) if programmes else None

    def finish(
        failures: list[dict[str, Any]],
        evaluated: int,
        row_count: int | None,
        docs: tuple[Path | None, Path | None],
        docs_error: str | None = None,
    ) -> ValidationOutcome:
        worst: Severity | None = None
        if any(f["severity"] == "error" for f in failures):
            worst = "error"
        elif failures:
            worst = "warn"
        return ValidationOutcome(
            table=table,
            suite=suite_obj.name,
            success=not failures,
            severity=worst,
            failures=failures,
            evaluated=evaluated,
            duration_s=time.perf_counter() - start,
            started_at=started_at,
            row_count=row_count,
            programmes=scope,
            data_docs_path=docs[0],
            data_docs_page=docs[1],
            data_docs_error=docs_error,
            timings=timings,
        )

    columns = table_columns(con, table)
    if columns is None:
        message = f"table {table!r} does not exist in the DuckDB database: materialise its asset before checking it."
        return finish([_library_failure("table_exists", None, "error", message)], 1, None, (None, None))

    programme_column = (meta.get("row_count_by_programme") or {}).get("column", PROGRAMME_COLUMN)
    where = ""
    if scope and programme_column in columns:
        where = f" WHERE {_quote(programme_column)} IN ({', '.join(_sql_literal(p) for p in scope)})"

    used = _parameters_used([e.configuration.kwargs for e in suite_obj.expectations])
    parameters = {name: suite_parameter(name) for name in used}
    sql_start = time.perf_counter()
    sql_results, gx_expectations = [], list(suite_obj.expectations)
    if engine == "sql":
        sql_results, gx_expectations = _sql_results(con, table, columns, gx_expectations, where, parameters)
    timings["sql_s"] = time.perf_counter() - sql_start

    fetch_start = time.perf_counter()
    library_failures: list[dict[str, Any]] = []
    batches = _table_batches(con, table, columns, gx_expectations, where)
    row_count = int(con.execute(f"SELECT count(*) FROM {_quote(table)}{where}").fetchone()[0])
    if "row_count_by_programme" in meta:
        batches += _row_count_batch(con, table, columns, meta["row_count_by_programme"], scope, row_count_bounds,
                                    library_failures)
    for fk in meta.get("foreign_keys", []):
        batches += _foreign_key_batch(con, table, columns, fk, where, library_failures)
    if "column_types" in meta:
        batches += _column_type_batch(columns, meta["column_types"])
    timings["fetch_s"] = time.perf_counter() - fetch_start

    gx_start = time.perf_counter()
    from great_expectations.core import ExpectationSuite as GXSuite

    results: list[Any] = list(sql_results)
    batch_meta: dict[str, Any] = {}
    with _GX_LOCK:
        for batch in batches:
            if not batch.expectations:
                continue
            definition = _batch_definition(f"{table}:{batch.label}")
            try:
                gx_batch = definition.get_batch(batch_parameters={"dataframe": batch.frame})
                validation = gx_batch.validate(
                    GXSuite(name=f"{suite_obj.name}:{batch.label}", expectations=batch.expectations),
                    result_format=RESULT_FORMAT,
                    expectation_parameters=parameters,
                )
            except Exception as err:  # a GX failure must read as a failed check, not as a crash of the step
                message = (f"{table}: Great Expectations could not validate the {batch.label!r} batch "
                           f"({len(batch.expectations)} expectations): {type(err).__name__}: {err}")
                library_failures.append(_library_failure("gx_validation", None, "error", message))
                continue
            for result in validation.results:
                result.expectation_config.meta = {**(result.expectation_config.meta or {}), "batch": batch.label}
            results += validation.results
            if batch.label == "rows" or not batch_meta:
                batch_meta = dict(validation.meta)
    timings["gx_s"] = time.perf_counter() - gx_start

    failures = library_failures + [_failure(table, r) for r in results if not r.success]
    docs: tuple[Path | None, Path | None] = (None, None)
    docs_error: str | None = None
    if data_docs_dir is not None:
        docs_start = time.perf_counter()
        try:
            docs = _write_data_docs(Path(data_docs_dir), table, scope, suite_obj.name, results, batch_meta,
                                    run_name, started_at, parameters,
                                    build=docs_policy == "always" or (docs_policy == "on_failure" and bool(failures)))
        except Exception as err:  # the docs are a report: failing to write them must not fail the check
            docs_error = f"Data Docs not written to {data_docs_dir}: {type(err).__name__}: {err}"
        timings["docs_s"] = time.perf_counter() - docs_start
    return finish(failures, len(results) + len(library_failures), row_count, docs, docs_error)


def _resolved(kwargs: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """kwargs with GX suite parameters ({"$PARAMETER": name}) replaced by their values."""
    return {k: parameters.get(v["$PARAMETER"], v) if isinstance(v, dict) and "$PARAMETER" in v else v
            for k, v in kwargs.items()}


def _sql_results(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    expectations: list[Any],
    where: str,
    parameters: Mapping[str, Any],
) -> tuple[list[Any], list[Any]]:
    """(GX-shaped results of the rules evaluated in SQL, the expectations left to GX)."""
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    translated, rest = [], []
    for expectation in expectations:
        config = expectation.configuration
        check, kwargs = None, _resolved(config.kwargs, parameters)
        if config.type not in SCHEMA_EXPECTATIONS:
            check = sql_checks.translate(config.type, kwargs, columns, table, where)
        if check is None:
            rest.append(expectation)
        else:
            translated.append((config, kwargs, check))
    try:
        outcomes = sql_checks.evaluate_many(con, [check for _, _, check in translated])
    except duckdb.Error:  # e.g. a view without rowid: GX validates every rule on a batch instead
        return [], list(expectations)
    results = []
    for (config, kwargs, _), (success, result) in zip(translated, outcomes, strict=True):
        evaluated = ExpectationConfiguration(type=config.type, kwargs=kwargs, severity=config.severity,
                                             meta={**(config.meta or {}), "batch": "sql"})
        results.append(ExpectationValidationResult(success=success, expectation_config=evaluated, result=result))
    return results, rest


def _table_batches(
    con: duckdb.DuckDBPyConnection, table: str, columns: Mapping[str, str], expectations: list[Any], where: str
) -> list[_Batch]:
    schema_expectations, row_expectations = [], []
    for expectation in expectations:
        (schema_expectations if expectation.expectation_type in SCHEMA_EXPECTATIONS else row_expectations).append(
            expectation
        )
    batches: list[_Batch] = []
    if schema_expectations:
        frame = _frame(con, f"SELECT {_select_list(columns, list(columns))} FROM {_quote(table)} LIMIT 0")
        batches.append(_Batch("schema", frame, schema_expectations))
    if row_expectations:
        wanted = []
        for expectation in row_expectations:
            wanted += [c for c in _referenced_columns(expectation) if c in columns and c not in wanted]
        # A missing column is left out: GX then reports it as missing, naming it.
        select = _select_list(columns, wanted or [next(iter(columns))])
        frame = _frame(con, f"SELECT {select} FROM {_quote(table)}{where}")
        batches.append(_Batch("rows", frame, row_expectations))
    return batches


def _row_count_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    spec: Mapping[str, Any],
    scope: tuple[str, ...] | None,
    overrides: Mapping[str, Sequence[int | None]] | None,
    library_failures: list[dict[str, Any]],
) -> list[_Batch]:
    import pandas as pd

    column = spec.get("column", PROGRAMME_COLUMN)
    severity = spec.get("severity", "error")
    bounds = {str(k): list(v) for k, v in (overrides or spec.get("bounds") or {}).items()}
    if column not in columns:
        message = f"{table}: cannot count rows per programme: column {column!r} is missing."
        library_failures.append(_library_failure("row_count_by_programme", column, severity, message))
        return []
    counts = dict(con.execute(f"SELECT {_quote(column)}, count(*) FROM {_quote(table)} GROUP BY ALL").fetchall())
    checked = list(scope) if scope else [p for p in bounds if p in counts]
    expectations, values = [], {}
    for programme in checked:
        given = list(bounds.get(programme) or [])
        low, high = (given + [None, None])[:2]
        if low is None and high is None:
            low = 1  # a programme asked for but without bounds must at least have rows
        name = f"n_rows[{programme}]"
        values[name] = [int(counts.get(programme, 0))]
        expectations.append(
            _make_expectation(
                "expect_column_values_to_be_between",
                {"column": name, "min_value": low, "max_value": high},
                {"severity": severity, "check": "row_count_by_programme", "programme": programme, "table": table},
            )
        )
    if not expectations:
        return []
    return [_Batch("row_counts", pd.DataFrame(values), expectations)]


def _foreign_key_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    fk: Mapping[str, Any],
    where: str,
    library_failures: list[dict[str, Any]],
) -> list[_Batch]:
    child_columns, parent, ref_columns = _parse_foreign_key(fk, f"suite {table}")
    severity = fk.get("severity", "error")
    label = f"{', '.join(child_columns)} -> {parent}({', '.join(ref_columns)})"
    missing = [c for c in child_columns if c not in columns]
    if missing:
        message = f"{table}: cannot check foreign key {label}: column(s) {', '.join(missing)} missing from {table}."
        library_failures.append(_library_failure("foreign_key", ", ".join(child_columns), severity, message))
        return []
    parent_columns = table_columns(con, parent)
    if parent_columns is None or any(c not in parent_columns for c in ref_columns):
        message = f"{table}: cannot check foreign key {label}: {parent}({', '.join(ref_columns)}) does not exist."
        library_failures.append(_library_failure("foreign_key", ", ".join(child_columns), severity, message))
        return []
    if len(child_columns) == 1:
        value = f"c.{_quote(child_columns[0])}"
    else:
        value = "concat_ws(' / ', " + ", ".join(f"c.{_quote(c)}::VARCHAR" for c in child_columns) + ")"
    not_null = " AND ".join(f"{_quote(c)} IS NOT NULL" for c in child_columns)
    child_filter = f"{where} AND {not_null}" if where else f" WHERE {not_null}"
    join = " AND ".join(f"c.{_quote(c)} = p.{_quote(r)}" for c, r in zip(child_columns, ref_columns, strict=True))
    frame_column = f"orphan {label}"
    sql = (
        f"SELECT CASE WHEN p.{_quote(ref_columns[0])} IS NULL THEN {value} END AS {_quote(frame_column)} "
        f"FROM (SELECT {', '.join(_quote(c) for c in child_columns)} FROM {_quote(table)}{child_filter}) c "
        f"LEFT JOIN (SELECT DISTINCT {', '.join(_quote(r) for r in ref_columns)} FROM {_quote(parent)}) p ON {join}"
    )
    try:
        frame = _frame(con, sql)
    except duckdb.Error as err:  # e.g. key types that cannot be compared
        message = f"{table}: cannot check foreign key {label}: DuckDB failed: {err}"
        library_failures.append(_library_failure("foreign_key", ", ".join(child_columns), severity, message))
        return []
    expectation = _make_expectation(
        "expect_column_values_to_be_null",
        {"column": frame_column},
        {
            "severity": severity,
            "check": "foreign_key",
            "table": table,
            "columns": child_columns,
            "references": f"{parent}({', '.join(ref_columns)})",
            "notes": f"rows of {table} whose {', '.join(child_columns)} has no match in {parent}",
        },
    )
    return [_Batch(f"foreign_key {', '.join(child_columns)}", frame, [expectation])]


def _column_type_batch(columns: Mapping[str, str], spec: Mapping[str, Any]) -> list[_Batch]:
    import pandas as pd

    severity = spec.get("severity", "error")
    values: dict[str, list[Any]] = {}
    expectations = []
    for column, expected in (spec.get("types") or {}).items():
        allowed = [expected] if isinstance(expected, str) else list(expected)
        name = f"type[{column}]"
        values[name] = [columns.get(column)]
        expectations.append(
            _make_expectation(
                "expect_column_values_to_be_in_set",
                {"column": name, "value_set": allowed},
                {"severity": severity, "check": "column_type", "column": column},
            )
        )
    if not expectations:
        return []
    frame = pd.DataFrame(values).astype(object)
    return [_Batch("column_types", frame, expectations)]


# --------------------------------------------------------------------------------------------------
# Reading GX results
# --------------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Plain JSON values for samples (numpy scalars, timestamps, decimals, tuples, NaN/NaT -> None)."""
    import pandas as pd

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def _sample(result: Mapping[str, Any]) -> list[Any]:
    """Up to SAMPLE_SIZE distinct unexpected values, in the order GX found them."""
    sample: list[Any] = []
    seen: set[str] = set()
    for value in result.get("partial_unexpected_list") or []:
        plain = _jsonable(value)
        key = json.dumps(plain, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            sample.append(plain)
        if len(sample) == SAMPLE_SIZE:
            break
    return sample


def _exception_message(result: Any) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception") and info.get("exception_message"):
        return str(info["exception_message"])
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _failure(table: str, result: Any) -> dict[str, Any]:
    config = result.expectation_config
    kwargs, meta = dict(config.kwargs), dict(config.meta or {})
    details: dict[str, Any] = dict(result.result or {})
    type_ = config.type
    column = _failure_column(kwargs, meta)
    failure: dict[str, Any] = {
        "expectation": type_,
        "column": column,
        "severity": meta.get("severity", "error"),
        "unexpected_count": details.get("unexpected_count"),
        "unexpected_percent": _round(details.get("unexpected_percent")),
        "sample": _sample(details),
        "message": "",
        "batch": meta.get("batch"),
    }
    if kwargs.get("column_A") and kwargs.get("column_B"):
        failure["sample"] = [
            {kwargs["column_A"]: v[0], kwargs["column_B"]: v[1]} if isinstance(v, list) and len(v) == 2 else v
            for v in failure["sample"]
        ]
    error = _exception_message(result)
    if error:
        missing = re.search(r'column "([^"]+)"[^.]*does not exist', error)
        if missing:
            failure["message"] = (
                f"{table}: column {missing.group(1)!r} is missing (renamed or dropped?); "
                f"{type_} on it could not run."
            )
        else:
            failure["message"] = f"{table}: {type_} on {column or 'the table'} raised an error: {error}"
        return failure
    check = meta.get("check")
    if type_ == "expect_table_columns_to_match_set" or type_ == "expect_table_columns_to_match_ordered_list":
        mismatched = (details.get("details") or {}).get("mismatched") or {}
        if isinstance(mismatched, dict):
            missing_cols = sorted(mismatched.get("missing") or [])
            extra_cols = sorted(mismatched.get("unexpected") or [])
        else:  # ordered list: a list of {expected, found} per position
            missing_cols, extra_cols = [], []
        failure["missing_columns"], failure["unexpected_columns"] = missing_cols, extra_cols
        failure["sample"] = missing_cols + extra_cols
        parts = []
        if missing_cols:
            parts.append(f"missing column(s) {', '.join(missing_cols)}")
        if extra_cols:
            parts.append(f"unexpected column(s) {', '.join(extra_cols)}")
        observed = details.get("observed_value")
        failure["message"] = (
            f"{table}: schema drift: {'; '.join(parts) or 'columns differ'} "
            f"(found: {', '.join(map(str, observed or []))})."
        )
    elif check == "foreign_key":
        failure["column"] = ", ".join(meta.get("columns") or []) or column
        failure["message"] = (
            f"{table}: {failure['unexpected_count']} row(s) ({failure['unexpected_percent']}%) have "
            f"{failure['column']} with no match in {meta.get('references')}; e.g. {failure['sample']}."
        )
    elif check == "row_count_by_programme":
        observed = failure["sample"][0] if failure["sample"] else None
        failure["column"] = PROGRAMME_COLUMN
        failure["unexpected_count"], failure["unexpected_percent"] = None, None
        failure["sample"] = [observed]
        failure["message"] = (
            f"{table}: {meta.get('programme')} has {observed} row(s), outside the expected bounds "
            f"[{_bound(kwargs.get('min_value'))}, {_bound(kwargs.get('max_value'))}]."
        )
    elif check == "column_type":
        failure["column"] = meta.get("column")
        failure["unexpected_count"], failure["unexpected_percent"] = None, None
        found = failure["sample"][0] if failure["sample"] else None
        expected = " or ".join(kwargs.get("value_set") or [])
        failure["message"] = (
            f"{table}: column {meta.get('column')!r} has type {found}, expected {expected} (did its values parse?)."
            if found is not None
            else f"{table}: column {meta.get('column')!r} (type {expected}) is missing."
        )
    elif "observed_value" in details and details.get("unexpected_count") is None:
        observed = _jsonable(details.get("observed_value"))
        failure["sample"] = [observed]
        failure["message"] = f"{table}: {type_} failed: observed {observed}, expected {_describe_kwargs(kwargs)}."
    else:
        failure["message"] = _row_message(table, type_, kwargs, failure)
    return failure


def _row_message(table: str, type_: str, kwargs: Mapping[str, Any], failure: dict[str, Any]) -> str:
    """A sentence for a failing row-level (map) expectation."""
    count, percent, sample, column = (
        failure["unexpected_count"], failure["unexpected_percent"], failure["sample"], failure["column"]
    )
    rows = f"{count} row(s) ({percent}%)"
    mostly = kwargs.get("mostly")
    tolerance = f" (more than the {(1 - float(mostly)) * 100:.4g}% tolerated)" if mostly not in (None, 1, 1.0) else ""
    if type_ == "expect_column_values_to_not_be_null":
        return f"{table}: {rows} have NULL {column}{tolerance}."
    if type_ in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        allowed = kwargs.get("value_set") or []
        shown = allowed if len(allowed) <= 12 else f"a set of {len(allowed)} values"
        verb = "outside" if type_.endswith("to_be_in_set") else "inside the forbidden"
        return f"{table}: {rows} have {column} {verb} {shown}{tolerance}; e.g. {sample}."
    if type_ == "expect_column_values_to_be_between":
        return f"{table}: {rows} have {column} {_range_text(kwargs)}{tolerance}; e.g. {sample}."
    if type_ in ("expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique",
                 "expect_select_column_values_to_be_unique_within_record"):
        return f"{table}: {rows} share a duplicate ({column}) key; e.g. {sample}."
    if type_ == "expect_column_pair_values_a_to_be_greater_than_b":
        op = ">=" if kwargs.get("or_equal") else ">"
        return (
            f"{table}: {rows} break {kwargs.get('column_A')} {op} {kwargs.get('column_B')}{tolerance}; "
            f"e.g. {sample}."
        )
    where = f"column {column}" if column else "the table"
    return f"{table}: {rows} of {where} fail {type_} ({_describe_kwargs(kwargs)}); e.g. {sample}."


def _failure_column(kwargs: Mapping[str, Any], meta: Mapping[str, Any]) -> str | None:
    if isinstance(kwargs.get("column"), str):
        return kwargs["column"]
    if kwargs.get("column_A") and kwargs.get("column_B"):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    return None


def _describe_kwargs(kwargs: Mapping[str, Any]) -> str:
    shown = []
    for key, value in kwargs.items():
        if key in {"batch_id", "column", "column_A", "column_B", "column_list", "result_format"}:
            continue
        if isinstance(value, list) and len(value) > 12:
            value = f"[{len(value)} values]"
        shown.append(f"{key}={value}")
    return ", ".join(shown) or "no parameters"


def _range_text(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if high is None:
        return f"below {_bound(low)}"
    if low is None:
        return f"above {_bound(high)}"
    return f"outside [{_bound(low)}, {_bound(high)}]"


def _bound(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


# --------------------------------------------------------------------------------------------------
# Data Docs
# --------------------------------------------------------------------------------------------------


def _write_data_docs(
    data_docs_dir: Path,
    table: str,
    scope: tuple[str, ...] | None,
    suite_name: str,
    results: list[Any],
    batch_meta: Mapping[str, Any],
    run_name: str | None,
    started_at: datetime,
    parameters: Mapping[str, Any],
    build: bool = True,
) -> tuple[Path, Path | None]:
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.validator import calc_validation_statistics

    data_docs_dir.mkdir(parents=True, exist_ok=True)
    statistics = calc_validation_statistics(results)
    run_id = RunIdentifier(run_name=run_name or "bilatrus", run_time=started_at)
    combined = ExpectationSuiteValidationResult(
        results=results,
        success=statistics.success,
        suite_name=suite_name,
        statistics={
            "evaluated_expectations": statistics.evaluated_expectations,
            "successful_expectations": statistics.successful_expectations,
            "unsuccessful_expectations": statistics.unsuccessful_expectations,
            "success_percent": statistics.success_percent,
        },
        suite_parameters={k: v for k, v in parameters.items()},
        meta={**batch_meta, "run_id": run_id, "validation_time": started_at, "table": table},
    )
    batch_identifier = table if not scope else f"{table}-{'-'.join(scope)}"
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=run_id,
        batch_identifier=batch_identifier,
    )
    with _GX_LOCK:
        context = gx_context()
        site_name, store_name = _docs_site(data_docs_dir)
        context.stores[store_name].set(key, combined)
        _prune_docs(data_docs_dir, suite_name, DOCS_RUNS_KEPT)
        if not build:  # stored now; the site is rebuilt once by build_data_docs()
            return data_docs_dir / "index.html", None
        context.build_data_docs(site_names=[site_name], resource_identifiers=[key])
        urls = context.get_docs_sites_urls(resource_identifier=key, site_name=site_name)
        offline_docs.make_offline(data_docs_dir)
    page = None
    if urls and urls[0].get("site_url", "").startswith("file://"):
        page = Path(urls[0]["site_url"].removeprefix("file://"))
    return data_docs_dir / "index.html", page


def build_data_docs(data_docs_dir: Path | str) -> Path:
    """Rebuild the whole Data Docs site from the stored results under data_docs_dir; return index.html."""
    data_docs_dir = Path(data_docs_dir)
    data_docs_dir.mkdir(parents=True, exist_ok=True)
    with _GX_LOCK:
        context = gx_context()
        site_name, _ = _docs_site(data_docs_dir)
        context.build_data_docs(site_names=[site_name])
        offline_docs.make_offline(data_docs_dir)
    return data_docs_dir / "index.html"


def _prune_docs(data_docs_dir: Path, suite_name: str, keep: int) -> None:
    """Delete all but the `keep` latest stored results (and their pages) of one suite, per batch.

    Layout (GX's): `.results/<suite>/<run_name>/<run_time>/<batch>.json` and the same path under
    `validations/` ending in `.html`; run_time (e.g. 20261127T164047.035763Z) sorts in time order.
    """
    root = data_docs_dir / ".results" / suite_name
    by_batch: dict[str, list[Path]] = {}
    for path in root.glob("*/*/*.json"):
        by_batch.setdefault(path.name, []).append(path)
    for paths in by_batch.values():
        paths.sort(key=lambda p: p.parent.name)
        for old in paths[:-keep] if keep > 0 else paths:
            page = data_docs_dir / "validations" / old.relative_to(data_docs_dir / ".results").with_suffix(".html")
            for stale in (old, page):
                stale.unlink(missing_ok=True)
                for folder in (stale.parent, stale.parent.parent):
                    try:
                        folder.rmdir()  # only when empty
                    except OSError:
                        break


# --------------------------------------------------------------------------------------------------
# Run log and reconciliation
# --------------------------------------------------------------------------------------------------


VALIDATION_RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR"),
    ("table", "VARCHAR"),
    ("suite", "VARCHAR"),
    ("started_at", "TIMESTAMPTZ"),
    ("duration_s", "DOUBLE"),
    ("success", "BOOLEAN"),
    ("n_failed", "INTEGER"),
    ("n_errors", "INTEGER"),
    ("n_warnings", "INTEGER"),
    ("n_evaluated", "INTEGER"),
    ("row_count", "BIGINT"),
    ("programmes", "VARCHAR"),
    ("load_s", "DOUBLE"),
    ("fetch_s", "DOUBLE"),
    ("gx_s", "DOUBLE"),
    ("docs_s", "DOUBLE"),
    ("data_docs_path", "VARCHAR"),
)


def record_validation_run(
    con: duckdb.DuckDBPyConnection, outcome: ValidationOutcome, *, run_id: str | None = None
) -> None:
    """Append one row to `meta_validation_runs` (created, or given missing columns, as needed).

    duration_s is the whole validate_table call; load_s holds the GX import on a process's first call,
    fetch_s the DuckDB reads, gx_s the validation proper, docs_s the Data Docs build. The column `table` is
    a reserved word in SQL: quote it (`SELECT "table", duration_s FROM meta_validation_runs`).
    """
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {VALIDATION_RUNS_TABLE} ("
        + ", ".join(f"{_quote(name)} {type_}" for name, type_ in VALIDATION_RUN_COLUMNS)
        + ")"
    )
    for name, type_ in VALIDATION_RUN_COLUMNS:
        con.execute(f"ALTER TABLE {VALIDATION_RUNS_TABLE} ADD COLUMN IF NOT EXISTS {_quote(name)} {type_}")
    values: dict[str, Any] = {
        "run_id": run_id,
        "table": outcome.table,
        "suite": outcome.suite,
        "started_at": outcome.started_at,
        "duration_s": outcome.duration_s,
        "success": outcome.success,
        "n_failed": len(outcome.failures),
        "n_errors": len(outcome.errors),
        "n_warnings": len(outcome.warnings),
        "n_evaluated": outcome.evaluated,
        "row_count": outcome.row_count,
        "programmes": ",".join(outcome.programmes) if outcome.programmes else None,
        "load_s": outcome.timings.get("load_s"),
        "fetch_s": outcome.timings.get("fetch_s"),
        "gx_s": outcome.timings.get("gx_s"),
        "docs_s": outcome.timings.get("docs_s"),
        "data_docs_path": str(outcome.data_docs_path) if outcome.data_docs_path else None,
    }
    names = ", ".join(_quote(name) for name in values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO {VALIDATION_RUNS_TABLE} ({names}) VALUES ({marks})", list(values.values()))


AUDIT_KEYS: tuple[str, ...] = ("dataset", "framework_programme", "source_file", "target_table")


def reconcile(
    con: duckdb.DuckDBPyConnection,
    *,
    audit_table: str = "load_audit",
    quarantine_table: str = "quarantine",
    staged_tables: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Every source file whose rows do not add up; an empty list when all reconcile.

    `load_audit` has one row per dataset, framework_programme, source_file (and target_table, when it has
    that column) with raw_rows, staged_rows and quarantined_rows. Checks, per audit row:
    - "audit": raw_rows = staged_rows + quarantined_rows;
    - "staged": staged_rows equals the rows the target table actually holds for that file now (matched on
      the audit's key columns the table has), which catches rows lost after the audit was written. The
      tables are the audit's target_table values; without that column, pass `staged_tables` (their counts
      are summed per file);
    - "quarantine": quarantined_rows equals the rows the quarantine table holds for that file (and table).
    Each problem: kind, the audit's keys, raw/staged/quarantined counts, difference, message.
    """
    audit_columns = table_columns(con, audit_table)
    if audit_columns is None:
        return [{"kind": "audit", "dataset": None, "framework_programme": None, "source_file": None,
                 "difference": None,
                 "message": f"table {audit_table!r} does not exist: staging must write it before reconciliation."}]
    keys = [c for c in AUDIT_KEYS if c in audit_columns]
    rows = con.execute(
        f"SELECT {', '.join(_quote(k) for k in keys)}, sum(raw_rows), sum(staged_rows), sum(quarantined_rows) "
        f"FROM {_quote(audit_table)} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    has_target = "target_table" in keys
    data_keys = [k for k in keys if k != "target_table"]
    quarantine_keys = [k for k in keys if k in (table_columns(con, quarantine_table) or {})]
    quarantined = _counts(con, quarantine_table, quarantine_keys) if "source_file" in quarantine_keys else None
    staged_counts: dict[str, tuple[list[str], dict[tuple[Any, ...], int]]] = {}
    targets = sorted({row[keys.index("target_table")] for row in rows} - {None}) if has_target else []
    for table in targets:
        table_keys = [k for k in data_keys if k in (table_columns(con, table) or {})]
        if "source_file" in table_keys:
            staged_counts[table] = (table_keys, _counts(con, table, table_keys))
    summed: dict[tuple[Any, ...], int] | None = None
    if not has_target and staged_tables:
        summed = {}
        for table in staged_tables:
            if "source_file" in (table_columns(con, table) or {}):
                for key, n in _counts(con, table, ["source_file"]).items():
                    summed[key] = summed.get(key, 0) + n

    problems: list[dict[str, Any]] = []
    for row in rows:
        record = dict(zip(keys, row[: len(keys)], strict=True))
        raw, staged_rows, quarantined_rows = row[len(keys):]
        target = record.get("target_table")
        where = (f"{record.get('dataset')} ({record.get('framework_programme') or 'no programme'}) file "
                 f"{record.get('source_file')}" + (f" -> {target}" if target else ""))
        base = {**{k: None for k in AUDIT_KEYS}, **record, "raw_rows": raw, "staged_rows": staged_rows,
                "quarantined_rows": quarantined_rows}
        if None in (raw, staged_rows, quarantined_rows):
            problems.append({**base, "kind": "audit", "difference": None,
                             "message": f"{where}: {audit_table} has a missing count (raw {raw}, staged {staged_rows}, "
                                        f"quarantined {quarantined_rows}); staging must record all three."})
            continue
        raw, staged_rows, quarantined_rows = int(raw), int(staged_rows), int(quarantined_rows)
        difference = raw - staged_rows - quarantined_rows
        if difference:
            what = f"{difference} row(s) lost" if difference > 0 else f"{-difference} row(s) more than were read"
            problems.append({**base, "kind": "audit", "difference": difference,
                             "message": f"{where}: raw {raw} rows but staged {staged_rows} + quarantined "
                                        f"{quarantined_rows} = {staged_rows + quarantined_rows}: {what}. "
                                        "Every raw row must be staged or quarantined with a reason."})
        actual: int | None = None
        holders = ""
        if target in staged_counts:
            table_keys, counts = staged_counts[target]
            actual, holders = counts.get(tuple(record[k] for k in table_keys), 0), f"{target} holds"
        elif summed is not None:
            actual, holders = summed.get((record.get("source_file"),), 0), f"{', '.join(staged_tables)} hold"
        if actual is not None and actual != staged_rows:
            gap = staged_rows - actual
            lost = f": {gap} row(s) lost after the audit was written" if gap > 0 else ""
            problems.append({**base, "kind": "staged", "difference": gap,
                             "message": f"{where}: {audit_table} says {staged_rows} staged row(s) but {holders} "
                                        f"{actual}{lost}. Re-run staging for this programme."})
        if quarantined is not None:
            in_quarantine = quarantined.get(tuple(record[k] for k in quarantine_keys), 0)
            if in_quarantine != quarantined_rows:
                problems.append({**base, "kind": "quarantine", "difference": quarantined_rows - in_quarantine,
                                 "message": f"{where}: {audit_table} says {quarantined_rows} quarantined row(s) but "
                                            f"{quarantine_table} holds {in_quarantine} for this file."})
    return problems


def _counts(con: duckdb.DuckDBPyConnection, table: str, keys: Sequence[str]) -> dict[tuple[Any, ...], int]:
    """Row counts of `table` grouped by `keys` (NULL keys kept as None)."""
    select = ", ".join(_quote(k) for k in keys)
    rows = con.execute(f"SELECT {select}, count(*) FROM {_quote(table)} GROUP BY ALL").fetchall()
    return {tuple(row[:-1]): int(row[-1]) for row in rows}
