"""What analysts call on the published warehouse: read-only queries, exports of every mart, active projects on a date.

Every function opens the published file read-only, so none of them can block, or be blocked by, a refresh that
publishes a new file meanwhile. `query` runs the analyst's own SQL, so it runs exactly one read-only statement on a
sandboxed connection that reaches neither the file system nor the network (`sandboxed_connection`); the other
functions run the project's own SQL on `open_readonly`.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bilatrus_etl.warehouse.models import load_models, set_variables, sql_literal
from bilatrus_etl.warehouse.publish import open_readonly, table_names
from bilatrus_etl.errors import BilatrusError

FORMATS: tuple[str, ...] = ("table", "csv", "json", "parquet")
TABLE_MAX_ROWS = 500
TABLE_MAX_CELL = 60
ACTIVE_MODEL = "mart_active_projects"


# --- formatting --------------------------------------------------------------------------------------------


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    elif isinstance(value, Decimal):
        text = f"{value:,}"
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= TABLE_MAX_CELL else text[: TABLE_MAX_CELL - 1] + "…"


def _text_table(table: pa.Table) -> str:
    """A plain-text table (header, rule, rows; numbers right-aligned), at most TABLE_MAX_ROWS rows."""
    shown = table.slice(0, TABLE_MAX_ROWS)
    names = table.column_names
    numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type) for f in table.schema]
    rows = [[_cell(v) for v in row.values()] for row in shown.to_pylist()]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()

    out = [line(names), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    if table.num_rows > TABLE_MAX_ROWS:
        out.append(f"… {table.num_rows - TABLE_MAX_ROWS:,} more rows (use --format csv, json or parquet for all)")
    out.append(f"({table.num_rows:,} row{'s' if table.num_rows != 1 else ''})")
    return "\n".join(out)


def _csv_safe(table: pa.Table) -> pa.Table:
    """Nested columns (lists, structs, maps) as JSON text: Arrow's CSV writer takes flat types only."""
    for index, column in enumerate(table.schema):
        if pa.types.is_nested(column.type):
            values = [
                None if v is None else json.dumps(_json_value(v), ensure_ascii=False)
                for v in table.column(index).to_pylist()
            ]
            table = table.set_column(index, column.name, pa.array(values, pa.string()))
    return table


def format_result(table: pa.Table, fmt: str) -> str | bytes:
    """Render an Arrow table as `table` (text), `csv`, `json` (an array of objects) or `parquet` (bytes)."""
    if fmt == "table":
        return _text_table(table)
    if fmt == "csv":
        buffer = io.BytesIO()
        pa_csv.write_csv(_csv_safe(table), buffer, pa_csv.WriteOptions(quoting_style="needed"))
        return buffer.getvalue().decode("utf-8")
    if fmt == "json":
        return json.dumps([_json_value(row) for row in table.to_pylist()], ensure_ascii=False, indent=1)
    if fmt == "parquet":
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()
    raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")


# --- queries -----------------------------------------------------------------------------------------------

# The statement kinds `query` runs: reads only. Everything else (COPY, EXPORT, ATTACH, INSTALL, LOAD, PRAGMA,
# SET, CALL, writes, transactions) is refused before it reaches DuckDB.
QUERY_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
WRITE_HINT = "To write results to a file, use --output FILE (with --format csv, json or parquet)."
_REFUSED: dict[str, str] = {
    "COPY": "COPY reads or writes files. " + WRITE_HINT,
    "COPY_DATABASE": "COPY FROM DATABASE writes another database. " + WRITE_HINT,
    "EXPORT": "EXPORT DATABASE writes files. " + WRITE_HINT,
    "ATTACH": "ATTACH opens other database files; only the published warehouse can be queried.",
    "DETACH": "DETACH changes which databases are open; only the published warehouse can be queried.",
    "LOAD": "INSTALL and LOAD add extensions (code and network access); queries run with the built-in functions only.",
    "EXTENSION": "extension statements add code and network access; queries run with the built-in functions only.",
    "PRAGMA": "PRAGMA changes or reads settings; query the catalog with SELECT (e.g. FROM duckdb_tables()) instead.",
    "SET": "SET, RESET and USE change the session's settings, which are locked for analyst queries.",
    "VARIABLE_SET": "SET VARIABLE changes the session; put the value in the query instead.",
    "CALL": "CALL (and CHECKPOINT) run procedures; use SELECT * FROM the table function instead.",
    "TRANSACTION": "transactions are not needed: the warehouse is read-only.",
}


def _refusal(kind: str) -> str:
    why = _REFUSED.get(kind, "it would change the warehouse or the session, and the published warehouse is read-only.")
    return (f"`bilatrus query` runs one read-only statement (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE, SHOW, "
            f"EXPLAIN); {kind} statements are refused: {why}")


def check_statement(sql: str) -> str:
    """The one read-only statement in `sql`, or a BilatrusError saying why it is refused.

    DuckDB's own parser splits and classifies the text, so comments, quotes and dollar-quoting are read exactly as
    the database would read them.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.ParserException as err:
        raise BilatrusError(f"Query failed: {err}") from err
    except (duckdb.Error, ValueError) as err:  # a statement kind the Python binding cannot even name
        raise BilatrusError(_refusal("unrecognised") + f" ({err})") from err
    if not statements:
        raise BilatrusError("No SQL statement given: write one query, e.g. \"SELECT * FROM mart_regions LIMIT 5\".")
    if len(statements) > 1:
        kinds = ", ".join(s.type.name for s in statements)
        raise BilatrusError(
            f"`bilatrus query` runs exactly one statement; this text holds {len(statements)} ({kinds}). Run them "
            "one at a time, or combine them into one query (WITH ... SELECT, UNION ALL)."
        )
    statement = statements[0]
    if statement.type not in QUERY_STATEMENTS:
        raise BilatrusError(_refusal(statement.type.name))
    return sql


def sandboxed_connection(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A connection to the published warehouse that can reach neither the file system nor the network.

    An in-memory database with extension auto-install and auto-load off attaches the warehouse read-only and
    makes it the default catalog; then external access is switched off and the configuration locked, so no
    statement can read or write another file, load an extension or undo these settings. Being a database of its
    own, it never clashes with other connections to the same file in this process.
    """
    target = Path(path)
    if not target.exists():
        raise BilatrusError(
            f"No warehouse at {target}: run `bilatrus run` (or `make demo`) to build and publish one, or set BILATRUS_WAREHOUSE."
        )
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        alias = _catalog_name(target)
        con.execute(f'ATTACH {sql_literal(str(target))} AS "{alias}" (READ_ONLY)')
        con.execute(f'USE "{alias}"')
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as err:
        con.close()
        raise BilatrusError(f"Cannot open the warehouse {target} read-only: {err}") from err
    return con


def _catalog_name(path: Path) -> str:
    """The name DuckDB gives a database opened directly (the file's stem, e.g. `bilatrus`), where it is usable."""
    stem = path.stem
    usable = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stem) and stem.lower() not in {"memory", "system", "temp", "main"}
    return stem if usable else "warehouse"


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    try:
        relation = con.sql(sql)
        if relation is None:  # a statement without a result
            return pa.table({})
        return relation.to_arrow_table()
    except duckdb.PermissionException as err:
        raise BilatrusError(
            f"Query refused: it reaches outside the warehouse (a file, a URL or an extension), which analyst queries "
            f"cannot do ({err}). Query the warehouse's tables only. {WRITE_HINT}"
        ) from err
    except duckdb.Error as err:
        message = str(err)
        if "read-only" in message.lower():
            raise BilatrusError(f"The warehouse is opened read-only; queries cannot change it ({message}).") from err
        raise BilatrusError(f"Query failed: {message}") from err


def query(path: Path | str, sql: str, fmt: str = "table") -> str | bytes:
    """Run one read-only statement on the warehouse at `path`, sandboxed (`sandboxed_connection`); return the
    result as text (table, csv, json) or Parquet bytes. Several statements, and any statement that is not a query,
    are refused with the reason."""
    if fmt not in FORMATS:
        raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    check_statement(sql)
    con = sandboxed_connection(path)
    try:
        table = _fetch(con, sql)
    finally:
        con.close()
    return format_result(table, fmt)


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every mart table in the warehouse (name starting with mart_), sorted."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = current_schema() "
        "AND table_name LIKE 'mart\\_%' ESCAPE '\\' ORDER BY table_name"
    ).fetchall()
    return [row[0] for row in rows]


def export(path: Path | str, out_dir: Path | str) -> list[Path]:
    """Write every mart of the warehouse as `<mart>.parquet` and `<mart>.csv` into out_dir; return the files."""
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    con = open_readonly(path)
    written: list[Path] = []
    try:
        tables = mart_tables(con)
        if not tables:
            raise BilatrusError(f"The warehouse {path} holds no mart_* table: build it first (`bilatrus run`).")
        for table in tables:
            for suffix, options in ((".parquet", "FORMAT parquet"), (".csv", "FORMAT csv, HEADER true")):
                final = target / f"{table}{suffix}"
                temporary = target / f".{table}{suffix}.{os.getpid()}.tmp"
                try:
                    con.execute(f'COPY (SELECT * FROM "{table}") TO {sql_literal(str(temporary))} ({options})').fetchall()
                    os.replace(temporary, final)
                finally:
                    temporary.unlink(missing_ok=True)
                written.append(final)
        if _is_synthetic(con, table_names(con)):
            marker = target / "SYNTHETIC.txt"
            marker.write_text(SYNTHETIC_WARNING + "\n", encoding="utf-8")
            written.append(marker)
    except duckdb.Error as err:
        raise BilatrusError(f"Export of {path} to {target} failed: {err}") from err
    finally:
        con.close()
    return written


# --- active projects ---------------------------------------------------------------------------------------


def _parse_date(on_date: date | str) -> date:
    if isinstance(on_date, datetime):
        return on_date.date()
    if isinstance(on_date, date):
        return on_date
    try:
        return date.fromisoformat(str(on_date).strip())
    except ValueError as err:
        raise BilatrusError(f"Not a date: {on_date!r}. Give it as YYYY-MM-DD, e.g. --on 2022-03-01.") from err


def active_projects_table(path: Path | str, on_date: date | str, country: str | None = None) -> pa.Table:
    """The rows of mart_active_projects for `on_date` and `country`, computed by that model's own SQL."""
    day = _parse_date(on_date)
    model = load_models()[ACTIVE_MODEL]
    con = open_readonly(path)
    try:
        variables: dict[str, object] = {"as_of": day}
        if country:
            variables["focus_country"] = country.strip().upper()
        set_variables(con, variables)
        return _fetch(con, model.sql.strip().rstrip(";"))
    finally:
        con.close()


def active_projects(
    path: Path | str, on_date: date | str, country: str | None = None, fmt: str = "table"
) -> str | bytes:
    """Projects with `country` (default: the focus country, RU) running on `on_date`, formatted like `query`."""
    if fmt not in FORMATS:
        raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    return format_result(active_projects_table(path, on_date, country), fmt)


# --- institution profiles ----------------------------------------------------------------------------------

PROFILE_MODEL = "mart_institution_profile"
PROFILE_MIN_SCORE = 75.0  # rapidfuzz WRatio (0-100) a name must reach to count as a match
PROFILE_CANDIDATES = 4  # other close candidates listed under the profile
SYNTHETIC_WARNING = (
    "WARNING: SYNTHETIC DATA - this warehouse was built from the synthetic demo mirror (meta_build.synthetic); "
    "the figures below are invented, not CORDIS."
)
# The ROR registry table: dim_ror_institution (dim_ru_institution in warehouses built before the focus country).
_REGISTRY_TABLES = ("dim_ror_institution", "dim_ru_institution")
# ROR registry columns shown in a profile and used for matching, where the registry table has them.
_ROR_COLUMNS = ("ror_id", "display_name", "name_en", "name_ru", "aliases", "acronyms", "labels", "types", "city",
                "established", "status")
_ROR_NAME_COLUMNS = ("display_name", "name_en", "name_ru", "aliases", "acronyms", "labels")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = current_schema()", [table]
    ).fetchall()
    return {row[0] for row in rows}


def is_synthetic(path: Path | str) -> bool:
    """True when the published warehouse was built from the synthetic demo mirror (False when it is missing)."""
    if not Path(path).exists():
        return False
    con = open_readonly(path)
    try:
        return _is_synthetic(con, table_names(con))
    finally:
        con.close()


def _is_synthetic(con: duckdb.DuckDBPyConnection, tables: set[str]) -> bool:
    """True when the warehouse's meta_build row says it was built from synthetic data."""
    if "meta_build" not in tables or "synthetic" not in _columns(con, "meta_build"):
        return False
    return bool(con.execute("SELECT coalesce(bool_or(synthetic), false) FROM meta_build").fetchall()[0][0])


def _ror_records(con: duckdb.DuckDBPyConnection, tables: set[str], ror_ids: set[str] | None) -> dict[str, dict]:
    """Registry records (dim_ror_institution, or the older dim_ru_institution; the columns of _ROR_COLUMNS it has) by
    bare ROR id: the given ids, or all (None)."""
    from bilatrus_etl.institutions.registry import short_ror_id

    table = next((t for t in _REGISTRY_TABLES if t in tables), None)
    if table is None or ror_ids == set():
        return {}
    present = [c for c in _ROR_COLUMNS if c in _columns(con, table)]
    if "ror_id" not in present:
        return {}
    select = ", ".join(f'"{c}"' for c in present)
    if ror_ids is None:
        rows = con.execute(f"SELECT {select} FROM {table}")
    else:
        rows = con.execute(f"SELECT {select} FROM {table} WHERE ror_id IN (SELECT unnest(?))", [sorted(ror_ids)])
    names = [d[0] for d in rows.description]
    return {short_ror_id(r[0]) or "": dict(zip(names, r)) for r in rows.fetchall()}


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _rank_candidates(query_text: str, entries: list[dict], ror: dict[str, dict], min_score: float) -> list[tuple[float, str, dict]]:
    """(score, matched name, entry) for every institution whose best name scores >= min_score, best first."""
    from rapidfuzz import fuzz, process

    from bilatrus_etl.institutions.registry import short_ror_id
    from bilatrus_etl.institutions.resolve import derived_acronyms, normalise_name

    def norm(text: str) -> str:
        return normalise_name(text) or " ".join(str(text).casefold().split())

    wanted = norm(query_text)
    raw = query_text.strip().casefold()
    texts: list[str] = []
    owners: list[int] = []
    for position, entry in enumerate(entries):
        names = [entry["display_name"], *_as_list(entry["name_variants"]), *_as_list(entry["short_names"])]
        record = ror.get(short_ror_id(entry["ror_id"]) or "") if entry["ror_id"] else None
        if record:
            for column in _ROR_NAME_COLUMNS:
                names.extend(_as_list(record.get(column)))
            names.extend(derived_acronyms(str(n) for n in names if n))  # "МГУ" from the Russian name
        for name in dict.fromkeys(str(n) for n in names if n):
            texts.append(name)
            owners.append(position)
    best: dict[int, tuple[float, str]] = {}
    # identifiers typed as such (an institution key, a ROR id or URL) match exactly
    for position, entry in enumerate(entries):
        idents = {str(entry["institution_key"]).casefold()}
        if entry["ror_id"]:
            idents |= {str(entry["ror_id"]).casefold(), (short_ror_id(entry["ror_id"]) or "").casefold()}
        if raw in idents:
            best[position] = (100.0, str(entry["institution_key"]))
    if wanted:
        matches = process.extract(
            wanted, [norm(t) for t in texts], scorer=fuzz.WRatio, limit=None, score_cutoff=min_score
        )
        for _, score, index in matches:
            position = owners[index]
            if score > best.get(position, (-1.0, ""))[0]:
                best[position] = (float(score), texts[index])
    ranked = [(score, name, entries[position]) for position, (score, name) in best.items()]
    ranked.sort(key=lambda item: (-item[0], -(item[2]["participations"] or 0), str(item[2]["display_name"])))
    return ranked


def unmatched_words(wanted: str, matched: str) -> set[str]:
    """The query's distinctive words (not "institute", "centre", "state", ...) that the matched name lacks.

    A lookup whose distinctive words are not all in the name it found is a poor match, not an answer:
    "nansen centre" must not be answered with another research centre."""
    from bilatrus_etl.institutions.resolve import distinctive_words, match_key, words_align

    wanted_words = distinctive_words(match_key(wanted))
    matched_key = match_key(matched)
    found = set(matched_key.split()) | {matched_key.replace(" ", "")}
    return {word for word in wanted_words if not words_align(word, found)}


def _count(value: object) -> str:
    return "0" if value is None else f"{value:,}"


def _join(values: object, sep: str = ", ", empty: str = "-") -> str:
    items = [str(v) for v in _as_list(values)]
    return sep.join(items) if items else empty


def _ror_url(ror_id: str) -> str:
    return ror_id if ror_id.lower().startswith("http") else f"https://ror.org/{ror_id}"


def _profile_lines(row: dict, record: dict | None) -> list[str]:
    """The readable profile of one mart_institution_profile row (with its dim_ror_institution record, if any)."""
    lines: list[str] = []

    def add(label: str, text: str) -> None:
        lines.append(f"  {label:<20}{text}")

    title = str(row["display_name"])
    lines += [title, "=" * min(len(title), 100)]
    add("Institution key", str(row["institution_key"]))
    add("Country", str(row["focus_country"]))
    if row["ror_id"]:
        methods = _join(row["match_methods"], empty="")
        add("ROR", _ror_url(str(row["ror_id"])) + (f" (linked by {methods})" if methods else ""))
        if record:
            if record.get("name_ru"):
                add("Russian name", str(record["name_ru"]))
            if record.get("name_en") and record["name_en"] != row["display_name"]:
                add("English name", str(record["name_en"]))
            if _as_list(record.get("acronyms")):
                add("Acronyms", _join(record["acronyms"]))
            if _as_list(record.get("aliases")):
                add("Aliases", _join(_as_list(record["aliases"])[:5], "; "))
            if _as_list(record.get("types")):
                add("ROR types", _join(record["types"]))
            extra = [f"{k} {record[k]}" for k in ("city", "established", "status") if record.get(k)]
            if extra:
                add("ROR record", ", ".join(extra))
    else:
        add("ROR", "not matched")
    add("Names in CORDIS", _join(row["name_variants"], "; "))
    if _as_list(row["short_names"]):
        add("Short names", _join(row["short_names"]))
    keys = _as_list(row["organisation_keys"])
    shown_keys = ", ".join(str(k) for k in keys[:8]) + (f", ... ({len(keys) - 8} more)" if len(keys) > 8 else "")
    add("Organisation keys", f"{_count(row['organisations'])} ({shown_keys})")
    add("Organisation type", _join(row["activity_types"]))
    place = [v for v in (row["federal_subject"], row["federal_district"]) if v]
    add("City", (row["city"] or "-") + (f" ({', '.join(place)})" if place else ""))
    add("Programmes", _join(row["programmes"]))
    years = f"{row['first_year']}-{row['last_year']}" if row["first_year"] is not None else "-"
    add("Years", f"{years} (project start years)")
    add("Projects", _count(row["projects"]))
    fractional = row["participations_fractional"]
    add("Participations", _count(row["participations"]) + (f" (fractional {fractional:.2f})" if fractional is not None else ""))
    add("Coordinations", f"{_count(row['coordinations'])} of collaborative projects, "
        f"{_count(row['single_beneficiary_coordinations'])} single-beneficiary grants (ERC, fellowships)")
    roles = [f"{r['role']} {r['participations']:,}" for r in _as_list(row["roles"])]
    add("Roles", ", ".join(roles) or "-")
    ec = row["ec_contribution"]
    ec_text = "not reported" if ec is None else f"EUR {ec:,.0f}"
    not_reported = row["ec_not_reported_participations"] or 0
    add("EC contribution", ec_text + f" (funded participations {_count(row['funded_participations'])}, unfunded "
        f"{_count(row['unfunded_participations'])}, not reported {not_reported:,}"
        + ("; FP6 reports no per-participant contribution)" if not_reported else ")"))
    themes = [f"{t['theme_name']} ({t['participations']:,})" for t in _as_list(row["top_themes"])]
    add("Top themes", "; ".join(themes) or "-")
    partners = _as_list(row["top_partners"])
    if partners:
        for rank, partner in enumerate(partners, start=1):
            name = partner["name"] or partner["institution_key"]
            country = f" ({partner['country_code']})" if partner["country_code"] else ""
            projects = partner["joint_projects"]
            add("Top partners" if rank == 1 else "",
                f"{rank:>2}. {name}{country}: {projects:,} joint project{'s' if projects != 1 else ''}")
    else:
        add("Top partners", "-")
    countries = [f"{c['country_code']} {c['joint_projects']:,}" for c in _as_list(row["top_partner_countries"])]
    add("Partner countries", (", ".join(countries) + " (joint projects)") if countries else "-")
    return lines


def _no_match_message(
    con: duckdb.DuckDBPyConnection, tables: set[str], wanted: str, min_score: float, path: Path | str,
    lead: str | None = None,
) -> str:
    """Why nothing matched; names the ROR records that match but have no participation in the warehouse."""
    message = lead or (
        f"No institution of {PROFILE_MODEL} in {path} matches {wanted!r} (no name scores {min_score:.0f} or more "
        f"of 100). Try another spelling, an acronym (e.g. MSU) or one distinctive word of the name."
    )
    registry = _ror_records(con, tables, None)
    entries = [
        {"institution_key": ror_id, "display_name": r.get("display_name") or ror_id, "ror_id": ror_id,
         "name_variants": [], "short_names": [], "participations": 0}
        for ror_id, r in registry.items()
    ]
    known = [k for k in _rank_candidates(wanted, entries, registry, min_score) if not unmatched_words(wanted, k[1])][:3]
    if known:
        names = "; ".join(f"{e['display_name']} (ROR {e['ror_id']})" for _, _, e in known)
        message += (
            f" The ROR registry (dim_ror_institution) knows {names}, but no participation in this warehouse is "
            f"linked to {'it' if len(known) == 1 else 'them'}."
        )
    return message


def institution_profile(
    path: Path | str, name: str, *, limit: int = PROFILE_CANDIDATES, min_score: float = PROFILE_MIN_SCORE
) -> str:
    """A readable profile of the institution whose name best matches `name` (rapidfuzz), from the published warehouse.

    Names searched: each profile's display name, CORDIS name variants and short names, and, for institutions
    matched to ROR, the registry's names, aliases, acronyms and labels (dim_ror_institution); an institution key or
    ROR id matches exactly. Up to `limit` other candidates scoring at least `min_score` are listed under the
    profile. The first line warns when the warehouse holds synthetic data (meta_build.synthetic).
    """
    from bilatrus_etl.institutions.registry import short_ror_id

    wanted = (name or "").strip()
    if not wanted:
        raise BilatrusError("Give an institution name to look for, e.g. `bilatrus institution Lomonosov`.")
    if limit < 0:
        raise BilatrusError(f"limit must be 0 or more, not {limit}.")
    con = open_readonly(path)
    try:
        tables = table_names(con)
        if PROFILE_MODEL not in tables:
            raise BilatrusError(
                f"The warehouse {path} has no {PROFILE_MODEL} table: it was built before institution profiles "
                f"existed or the build did not finish. Rebuild and publish it (`bilatrus run`, or `make demo`)."
            )
        synthetic = _is_synthetic(con, tables)
        entries = [
            dict(zip(("institution_key", "display_name", "ror_id", "name_variants", "short_names", "participations"), r))
            for r in con.execute(
                f"SELECT institution_key, display_name, ror_id, name_variants, short_names, participations FROM {PROFILE_MODEL}"
            ).fetchall()
        ]
        if not entries:
            raise BilatrusError(f"{PROFILE_MODEL} in {path} is empty: the warehouse holds no institution of the focus country.")
        ror_ids = {short_ror_id(e["ror_id"]) for e in entries if e["ror_id"]} - {None}
        ror = _ror_records(con, tables, ror_ids)
        ranked = _rank_candidates(wanted, entries, ror, min_score)
        if not ranked:
            raise BilatrusError(_no_match_message(con, tables, wanted, min_score, path))
        score, matched, best = ranked[0]
        missing = unmatched_words(wanted, matched)
        if missing:
            closest = "; ".join(f"{e['display_name']} (score {s:.0f})" for s, _, e in ranked[: 1 + limit])
            lead = (
                f"No clear match for {wanted!r} in {PROFILE_MODEL} of {path}: the closest names lack "
                f"{', '.join(repr(w) for w in sorted(missing))}, so none is given as the answer. Closest "
                f"candidates: {closest}. Try another spelling or more of the name."
            )
            raise BilatrusError(_no_match_message(con, tables, wanted, min_score, path, lead))
        cursor = con.execute(f"SELECT * FROM {PROFILE_MODEL} WHERE institution_key = ?", [best["institution_key"]])
        columns = [d[0] for d in cursor.description]
        row = dict(zip(columns, cursor.fetchall()[0]))
    finally:
        con.close()
    record = ror.get(short_ror_id(row["ror_id"]) or "") if row["ror_id"] else None
    lines = [SYNTHETIC_WARNING, ""] if synthetic else []
    lines += _profile_lines(row, record)
    lines += ["", f"Best match for {wanted!r}: {matched!r} (score {score:.0f}/100)."]
    others = ranked[1 : 1 + limit]
    if others:
        lines.append("Other candidates:")
        lines += [
            f"  {s:5.1f}  {e['display_name']}  [{e['institution_key']}, {_count(e['participations'])} participations]"
            for s, _, e in others
        ]
    return "\n".join(lines)
