"""The pandas baseline: the marts computed the way an analyst's notebook would, with pd.read_csv and groupby.

It reads the same files as the floor (the mirror's CSVs and the unzipped project.csv / organization.csv, listed
in inputs.json by bench.inputs) and the curated tables in src/bilatrus_etl/reference, and computes six marts following the
definitions at the top of sql/marts/*.sql: mart_country_participation, mart_third_country_ranking,
mart_theme_profile, mart_partner_countries, mart_institutions, mart_regions. Each is written as
<out>/<mart>.parquet. Nothing from the project is imported: the notebook knows the files' column names
and the cleaning rules (country codes, roles, money, dates, duplicates) and writes them out itself.

Reading: `pd.read_csv(sep=..., dtype=str, on_bad_lines="skip")`, pandas' default (C) reader, as notebooks use
it. (The multi-threaded pyarrow engine cannot be used through pandas: it needs `newlines_in_values`, which
pd.read_csv does not pass, and the files have line breaks inside quoted values.) The C reader drops lines with
too many fields, but keeps lines with too few (padded with empty values) and lines whose only fault is a stray
quote inside a quoted value, which DuckDB's strict reader rejects: on a mirror with malformed lines the
notebook counts a few more participations than the pipeline (the synthetic generator's malformed rows, a
handful per file, never Russian, in existing projects), so totals and shares differ by about 1e-4 relative.
On clean files every number is the same (checked at full scale).

Institutions: the notebook does no ROR matching (institution_key = org_key), like the floor.

Run: `python -m bench.pandas_baseline INPUTS_JSON OUT_DIR`; it prints its phase timings as JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bilatrus_etl.ingest import clean

PROGRAMMES = ("FP6", "FP7", "H2020", "HE")
FAR_PAST, FAR_FUTURE = "0001-01-01", "9999-12-31"

# The notebook's knowledge of the files: column -> name used below, per layout.
PROJECT_COLUMNS = {
    "legacy_csv": {
        "reference": "project_id",
        "title": "title",
        "programme": "programme_code",
        "fundingScheme": "funding_scheme",
        "startDate": "start_date",
    },
    "cordis_csv": {
        "id": "project_id",
        "title": "title",
        "legalBasis": "programme_code",
        "fundingScheme": "funding_scheme",
        "startDate": "start_date",
    },
}
ORGANIZATION_COLUMNS = {
    "legacy_csv": {
        "projectReference": "project_id",
        "id": "pic",
        "name": "name",
        "activityType": "activity_type",
        "role": "role",
        "country": "country",
        "city": "city",
        "ecContribution": "ec_contribution",
    },
    "cordis_csv": {
        "projectID": "project_id",
        "organisationID": "pic",
        "name": "name",
        "activityType": "activity_type",
        "role": "role",
        "country": "country",
        "city": "city",
        "ecContribution": "ec_contribution",
    },
}
# the project's own code maps (the one thing an analyst's notebook would copy from the documentation)
COUNTRY_EXCEPTIONS = {code: iso for code, (iso, _) in clean.COUNTRY_EXCEPTIONS.items()}
ROLES = clean.ROLES
ROLE_RANK = {
    "coordinator": 1,
    "beneficiary": 2,
    "participant": 3,
    "host": 4,
    "partner": 5,
    "associated partner": 6,
    "international partner": 7,
    "third party": 8,
}
ACTIVITY_TYPES = clean.ACTIVITY_TYPES
ACTIVITY_CODES = tuple(ACTIVITY_TYPES)
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y%m%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
)


# ======================================================================================== reading


def read_csv(path: str, delimiter: str) -> pd.DataFrame:
    return pd.read_csv(path, sep=delimiter, dtype=str, on_bad_lines="skip", keep_default_na=False, na_values=[""])


def read_reference(reference_dir: str, name: str) -> pd.DataFrame:
    return pd.read_csv(Path(reference_dir) / name, dtype=str, keep_default_na=False)


def load_programme_files(inputs: dict, role: str, columns: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Every programme's file of one role, renamed, with exact copies of an earlier record flagged."""
    frames = []
    for file in inputs["files"]:
        if file["role"] != role:
            continue
        raw = read_csv(file["path"], file["delimiter"])
        mapping = columns[file["source_format"]]
        frame = raw[list(mapping)].rename(columns=mapping)
        frame["is_copy"] = raw.duplicated(keep="first").to_numpy()
        frame["framework_programme"] = file["programme"]
        frame["source_file"] = file["source_file"]
        frame["source_format"] = file["source_format"]
        frame["row_in_file"] = np.arange(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# ======================================================================================= cleaning


def clean_text(s: pd.Series) -> pd.Series:
    out = s.str.replace(r"[\t\n\f\r \u00a0]+", " ", regex=True).str.strip()
    return out.where(out != "")


def clean_id(s: pd.Series) -> pd.Series:
    return clean_text(s).str.replace(r"\.0+$", "", regex=True)


def clean_pic(s: pd.Series) -> pd.Series:
    ids = clean_id(s)
    return ids.where(ids.str.fullmatch(r"[0-9]{5,12}").fillna(False).astype(bool))


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def clean_money(s: pd.Series, decimal_comma: bool) -> pd.Series:
    """Text -> EUR, rounded to cents: the last of ',' and '.' is the decimal mark; thousands separators dropped."""
    t = s.str.upper().str.replace(r"[\s\u00a0'€$£]|EUR", "", regex=True)
    has_comma, has_dot = t.str.contains(",", regex=False), t.str.contains(".", regex=False)
    commas, dots = t.str.count(","), t.str.count(r"\.")
    last_is_comma = t.str.contains(r",[0-9]*$", regex=True)
    comma_thousands = t.str.contains(r",[0-9]{3}$", regex=True)
    dot_thousands = t.str.fullmatch(r"[+-]?[0-9]{1,3}\.[0-9]{3}")
    no_comma, no_dot = t.str.replace(",", "", regex=False), t.str.replace(".", "", regex=False)
    conditions = [
        has_comma & has_dot & last_is_comma,
        has_comma & has_dot,
        has_comma & (commas > 1),
        has_comma & (decimal_comma | ~comma_thousands),
        has_comma,
        dots > 1,
        dot_thousands & decimal_comma,
    ]
    choices = [
        no_dot.str.replace(",", ".", regex=False),
        no_comma,
        no_comma,
        t.str.replace(",", ".", regex=False),
        no_comma,
        no_dot,
        no_dot,
    ]
    text = pd.Series(
        np.select(
            [c.fillna(False).to_numpy(bool) for c in conditions],
            [c.to_numpy(object) for c in choices],
            default=t.to_numpy(object),
        ),
        index=s.index,
    )
    numbers = pd.to_numeric(
        text.where(text.str.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?(E[+-]?[0-9]+)?").fillna(False).astype(bool)),
        errors="coerce",
    )
    return numbers.round(2)


def clean_date(s: pd.Series) -> pd.Series:
    """Text -> 'YYYY-MM-DD' (ISO first, then the usual national formats); years outside 1900-2100 -> NaN."""
    text = clean_text(s)
    parsed = pd.to_datetime(
        text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)),
        format="%Y-%m-%d",
        errors="coerce",
    )
    for fmt in DATE_FORMATS:
        todo = parsed.isna() & text.notna()
        if not todo.any():
            break
        parsed = parsed.where(~todo, pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    parsed = parsed.where((parsed.dt.year >= 1900) & (parsed.dt.year <= 2100))
    return parsed.dt.strftime("%Y-%m-%d")


def role_key(text: str) -> str | None:
    return re.sub(r"[^A-Za-z]+", "", text).lower() or None


def role_label(text: str) -> str | None:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.sub(r"[^A-Za-z]+", " ", spaced).strip().lower() or None


def activity_key(text: str) -> str | None:
    return re.sub(r"[^A-Za-z0-9]+", "", strip_accents(text)).upper() or None


def norm_org_name(text: str | None) -> str:
    if text is None or text != text:
        return ""
    return re.sub(r"[^A-Z0-9]+", " ", strip_accents(text).upper()).strip()


def map_values(s: pd.Series, function: Callable[[str], object]) -> pd.Series:
    """Apply a Python function once per distinct value."""
    distinct = s.dropna().unique()
    return s.map({value: function(value) for value in distinct})


# ================================================================================ reference maps


def country_code_map(inputs: dict) -> tuple[dict[str, str], dict[str, str]]:
    """(CORDIS code -> ISO code, ISO code -> English name): cordisref, then the known exceptions, then ISO."""
    import pycountry

    iso_names = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    for c in pycountry.historic_countries:
        if getattr(c, "alpha_2", None) and c.alpha_2 not in iso_names:
            iso_names[c.alpha_2] = c.name
    mapping = {code: code for code in iso_names} | COUNTRY_EXCEPTIONS
    names = dict(iso_names)
    for file in inputs["files"]:
        if file["role"] != "countries":
            continue
        ref = read_csv(file["path"], file["delimiter"])
        ref.columns = ["cordis_code", "iso_code", "name", "language"][: len(ref.columns)]
        ref["cordis_code"] = ref["cordis_code"].str.strip().str.upper()
        ref["iso_code"] = ref["iso_code"].str.strip().str.upper()
        valid = ref[
            ref.cordis_code.str.fullmatch("[A-Z]{2}").fillna(False).astype(bool)
            & ref.iso_code.str.fullmatch("[A-Z]{2}").fillna(False).astype(bool)
        ]
        mapping |= valid.groupby("cordis_code")["iso_code"].min().to_dict()
        english = ref[ref.language.str.strip().str.lower() == "en"].drop_duplicates("cordis_code")
        english = english.assign(iso=english.cordis_code.map(mapping)).dropna(subset=["iso"])
        english = english.assign(other_code=english.cordis_code != english.iso)
        english = english.sort_values(["other_code", "cordis_code"]).drop_duplicates("iso")
        names |= dict(zip(english.iso, english.name, strict=True))
    return mapping, names


def activity_type_map(inputs: dict) -> dict[str, str]:
    labels = [(code, code) for code in ACTIVITY_CODES]
    labels += [(title, code) for code, titles in ACTIVITY_TYPES.items() for title in titles]
    for file in inputs["files"]:
        if file["role"] == "activity_types":
            ref = read_csv(file["path"], file["delimiter"])
            code, title = ref.iloc[:, 0].str.strip().str.upper(), ref.iloc[:, 1]
            labels += [(t, c) for c, t in zip(code, title, strict=True) if c in ACTIVITY_CODES and t == t]
    mapping: dict[str, str] = {}
    for label, code in labels:
        key = activity_key(label)
        if key is not None:
            mapping[key] = min(code, mapping.get(key, code))
    return mapping


# ======================================================================================== staging


def stage_projects(inputs: dict) -> pd.DataFrame:
    raw = load_programme_files(inputs, "projects", PROJECT_COLUMNS)
    raw["project_id"] = clean_id(raw["project_id"])
    raw["has_title"] = raw["title"].notna()
    ranked = raw.sort_values(
        ["framework_programme", "project_id", "has_title", "source_file", "row_in_file"],
        ascending=[True, True, False, True, True],
    )
    raw["key_number"] = ranked.groupby(["framework_programme", "project_id"], dropna=False).cumcount()
    keep = raw["project_id"].notna() & ~raw["is_copy"] & (raw["key_number"] == 0)
    projects = raw[keep].copy()
    projects["programme_code"] = clean_text(projects["programme_code"])
    projects["funding_scheme"] = clean_text(projects["funding_scheme"])
    projects["start_date"] = clean_date(projects["start_date"])
    return projects[
        [
            "framework_programme",
            "project_id",
            "programme_code",
            "funding_scheme",
            "start_date",
            "source_file",
            "row_in_file",
        ]
    ]


def stage_participations(inputs: dict) -> pd.DataFrame:
    raw = load_programme_files(inputs, "organizations", ORGANIZATION_COLUMNS)
    raw["project_id"] = clean_id(raw["project_id"])
    raw["pic"] = clean_pic(raw["pic"])
    raw["name"] = clean_text(raw["name"])
    keep = raw["project_id"].notna() & (raw["pic"].notna() | raw["name"].notna()) & ~raw["is_copy"]
    rows = raw[keep].copy()
    countries, _ = country_code_map(inputs)
    country_text = clean_text(rows["country"]).str.upper()
    rows["country"] = country_text.map(countries)
    rows["activity_type"] = map_values(rows["activity_type"], activity_key).map(activity_type_map(inputs))
    rows["role"] = map_values(rows["role"], lambda r: ROLES.get(role_key(r) or "") or role_label(r))
    rows["city"] = clean_text(rows["city"])
    legacy = rows["source_format"] == "legacy_csv"
    money = pd.Series(np.nan, index=rows.index)
    for decimal_comma in (True, False):
        part = legacy == decimal_comma
        if part.any():
            money[part] = clean_money(rows.loc[part, "ec_contribution"], decimal_comma)
    rows["ec_contribution"] = money
    rows["org_key"] = org_keys(rows["pic"], rows["name"], rows["country"].fillna(country_text))
    return rows[
        [
            "framework_programme",
            "project_id",
            "org_key",
            "name",
            "activity_type",
            "country",
            "city",
            "role",
            "ec_contribution",
            "source_file",
            "row_in_file",
        ]
    ]


def org_keys(pic: pd.Series, name: pd.Series, country: pd.Series) -> pd.Series:
    """The PIC, else 'name-' + 16 hex digits of md5(normalised name|country)."""
    missing = pic.isna()
    keys = pic.copy()
    keys[missing] = [
        "name-" + hashlib.md5(f"{norm_org_name(n)}|{c if c == c and c is not None else ''}".encode()).hexdigest()[:16]
        for n, c in zip(name[missing], country[missing], strict=True)
    ]
    return keys


# =========================================================================================== core


def reference_tables(reference_dir: str) -> dict[str, pd.DataFrame]:
    return {
        name: read_reference(reference_dir, f"{name}.csv")
        for name in ("country_status", "programme_themes", "funding_scheme_class", "ru_regions")
    }


def theme_of_codes(projects: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """(framework_programme, programme_code) -> theme: longest prefix of the first ';'-separated code."""
    codes = projects[["framework_programme", "programme_code"]].drop_duplicates()
    themes = themes.assign(
        framework_programme=themes.framework_programme.str.strip().str.upper(),
        code_prefix=themes.code_prefix.str.strip().str.upper(),
    )
    themes = themes.assign(length=themes.code_prefix.str.len()).sort_values("length", ascending=False)
    by_programme = {
        fp: list(group[["code_prefix", "theme_code", "theme_name", "pillar"]].itertuples(index=False))
        for fp, group in themes.groupby("framework_programme")
    }
    found = []
    for fp, code in codes.itertuples(index=False):
        first = code.split(";")[0].strip().upper() if isinstance(code, str) else None
        match = next((t for t in by_programme.get(fp, []) if first is not None and first.startswith(t[0])), None)
        found.append((match[1], match[2], match[3] or None) if match else ("unclassified", "Unclassified", None))
    codes[["theme_code", "theme_name", "pillar"]] = pd.DataFrame(found, index=codes.index)
    return codes


def scheme_classes(projects: pd.DataFrame, schemes: pd.DataFrame) -> dict[str, str]:
    rules = list(
        zip(
            schemes.pattern.str.strip().str.upper(),
            schemes.match_type.str.strip().str.lower(),
            schemes.scheme_class.str.strip().str.lower(),
            strict=True,
        )
    )
    classes = {}
    for scheme in projects["funding_scheme"].dropna().str.strip().str.upper().unique():
        exact = [c for p, m, c in rules if m == "exact" and p == scheme]
        prefixes = sorted(((len(p), c) for p, m, c in rules if m == "prefix" and scheme.startswith(p)), reverse=True)
        if exact or prefixes:
            classes[scheme] = exact[0] if exact else prefixes[0][1]
    return classes


def build_projects(projects: pd.DataFrame, participations: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """dim_project's columns the marts use; projects known only from the organisation file are added."""
    themes = theme_of_codes(projects, ref["programme_themes"])
    dim = projects.merge(themes, on=["framework_programme", "programme_code"], how="left")
    classes = scheme_classes(projects, ref["funding_scheme_class"])
    scheme = dim["funding_scheme"].str.strip().str.upper().map(classes).fillna("collaborative")
    dim["is_single_beneficiary"] = scheme == "single_beneficiary"
    only_orgs = participations[["framework_programme", "project_id"]].drop_duplicates()
    only_orgs = only_orgs.merge(dim[["framework_programme", "project_id"]], how="left", indicator=True)
    only_orgs = only_orgs[only_orgs["_merge"] == "left_only"].drop(columns="_merge")
    only_orgs = only_orgs.assign(theme_code="unclassified", theme_name="Unclassified", is_single_beneficiary=False)
    dim = pd.concat([dim, only_orgs], ignore_index=True)
    dim["start_year"] = pd.to_numeric(dim["start_date"].str[:4], errors="coerce").astype("Int64")
    return dim[
        [
            "framework_programme",
            "project_id",
            "theme_code",
            "theme_name",
            "pillar",
            "is_single_beneficiary",
            "start_date",
            "start_year",
        ]
    ]


def country_status(facts: pd.DataFrame, status: pd.DataFrame) -> pd.Series:
    """Curated status in force at the project's start; 'third' where none; NaN where the country is unknown."""
    status = status.assign(
        country_code=status.country_code.str.strip().str.upper(),
        framework_programme=status.framework_programme.str.strip().str.upper(),
        status=status.status.str.strip().str.lower(),
        valid_from=status.valid_from.replace("", FAR_PAST),
        valid_to=status.valid_to.replace("", FAR_FUTURE),
    )
    keys = facts[["framework_programme", "country_code", "start_date"]].drop_duplicates()
    keys = keys[keys.country_code.notna()]
    matched = keys.merge(status, on=["country_code", "framework_programme"], how="inner")
    start = matched["start_date"].fillna(FAR_FUTURE)
    matched = matched[(start >= matched.valid_from) & (start <= matched.valid_to)]
    found = facts.merge(
        matched[["framework_programme", "country_code", "start_date", "status"]],
        on=["framework_programme", "country_code", "start_date"],
        how="left",
    )["status"]
    found.index = facts.index
    return found.fillna("third").where(facts.country_code.notna())


def build_facts(participations: pd.DataFrame, dim_project: pd.DataFrame, ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """fact_participation: one row per organisation per project, its role, money, status and weight 1/n."""
    rows = participations.sort_values(["source_file", "row_in_file"])
    rows = rows.assign(
        role_rank=rows["role"].str.strip().str.lower().map(ROLE_RANK).fillna(9),
        country_code=rows["country"].str.strip().str.upper(),
    )
    keys = ["framework_programme", "project_id", "org_key"]
    grouped = rows.groupby(keys, sort=False)
    facts = grouped[["name", "country_code", "city", "activity_type"]].first()
    facts["ec_contribution"] = grouped["ec_contribution"].sum(min_count=1)
    by_role = rows.dropna(subset=["role"]).sort_values(["role_rank", "source_file", "row_in_file"], kind="stable")
    facts["role"] = by_role.groupby(keys, sort=False)["role"].first()
    facts = facts.reset_index()
    facts["role"] = facts["role"].str.strip().str.lower()
    project = facts.groupby(["framework_programme", "project_id"])
    facts["project_participants"] = project["org_key"].transform("size")
    reported = project["ec_contribution"].transform("count")
    facts["is_coordinator"] = facts["role"] == "coordinator"
    facts["funding_status"] = np.where(
        (facts.framework_programme == "FP6") | (reported == 0),
        "not reported",
        np.where(facts.ec_contribution > 0, "funded", "unfunded"),
    )
    facts["weight"] = 1.0 / facts["project_participants"]
    facts = facts.merge(dim_project, on=["framework_programme", "project_id"], how="left")
    facts["country_status"] = country_status(facts, ref["country_status"])
    facts["institution_key"] = facts["org_key"]  # no ROR matching in the notebook
    return facts


def latest_status(status: pd.DataFrame) -> pd.DataFrame:
    """dim_country's status per country and programme: the latest period, 'third' where none."""
    status = status.assign(
        country_code=status.country_code.str.strip().str.upper(),
        framework_programme=status.framework_programme.str.strip().str.upper(),
        start=status.valid_from.replace("", FAR_PAST),
    )
    latest = status.sort_values("start").groupby(["country_code", "framework_programme"]).last()["status"]
    return latest.str.strip().str.lower().unstack("framework_programme")


def organisations(participations: pd.DataFrame, dim_project: pd.DataFrame, org_keys_wanted: pd.Series) -> pd.DataFrame:
    """dim_organization's name, city and type (latest participation with a value) for some organisations."""
    rows = participations[participations.org_key.isin(set(org_keys_wanted))]
    rows = rows.merge(
        dim_project[["framework_programme", "project_id", "start_date"]],
        how="left",
        on=["framework_programme", "project_id"],
    )
    rows = rows.assign(recency=rows.start_date.fillna(FAR_PAST)).sort_values(["recency", "source_file", "row_in_file"])
    return rows.groupby("org_key")[["name", "city", "activity_type"]].last()


# ========================================================================================== marts


def mart_country_participation(facts: pd.DataFrame, focus_country: str) -> pd.DataFrame:
    keys = ["framework_programme", "start_year"]
    totals = (
        facts.groupby(keys, dropna=False)
        .agg(all_projects=("project_id", "nunique"), all_participations=("project_id", "size"))
        .reset_index()
    )
    focus = facts[facts.country_code == focus_country]
    single = focus.is_single_beneficiary.fillna(False).astype(bool)
    types = {code.lower(): focus.activity_type == code for code in ACTIVITY_CODES}
    types["type_unknown"] = ~focus.activity_type.isin(ACTIVITY_CODES)
    focus = focus.assign(
        funded=focus.funding_status == "funded",
        unfunded=focus.funding_status == "unfunded",
        not_reported=focus.funding_status == "not reported",
        coord=focus.is_coordinator & ~single,
        single_coord=focus.is_coordinator & single,
        **{f"is_{name}": mask for name, mask in types.items()},
        **{f"w_{name}": focus.weight.where(mask, 0.0) for name, mask in types.items()},
    )
    aggregations = dict(
        projects=("project_id", "nunique"),
        participations=("project_id", "size"),
        participations_fractional=("weight", "sum"),
        funded_participations=("funded", "sum"),
        unfunded_participations=("unfunded", "sum"),
        funding_not_reported_participations=("not_reported", "sum"),
        organisations=("org_key", "nunique"),
        institutions=("institution_key", "nunique"),
        coordinations=("coord", "sum"),
        single_beneficiary_coordinations=("single_coord", "sum"),
        ec_contribution=("ec_contribution", lambda s: s.sum(min_count=1)),
        **{f"participations_{name}": (f"is_{name}", "sum") for name in types},
        **{f"participations_fractional_{name}": (f"w_{name}", "sum") for name in types},
    )
    per_year = focus.groupby(keys, dropna=False).agg(**aggregations).reset_index()
    mart = totals.merge(per_year, on=keys, how="left")
    counts = [c for c in per_year.columns if c not in keys and c != "ec_contribution"]
    mart[counts] = mart[counts].fillna(0)
    mart["share_participations"] = mart.participations / mart.all_participations
    mart["share_participations_fractional"] = mart.participations_fractional / mart.all_projects
    mart["share_projects"] = mart.projects / mart.all_projects
    mart.insert(0, "focus_country", focus_country)
    return mart.sort_values(keys, na_position="last").reset_index(drop=True)


def mart_third_country_ranking(facts: pd.DataFrame, country_names: dict[str, str], focus_country: str) -> pd.DataFrame:
    totals = facts.groupby("framework_programme").agg(
        all_participations=("project_id", "size"),
        all_projects=("project_id", "nunique"),
        all_ec_contribution=("ec_contribution", lambda s: s.sum(min_count=1)),
    )
    third = facts[facts.country_status == "third"].assign(funded=lambda f: f.funding_status == "funded")
    mart = (
        third.groupby(["framework_programme", "country_code"])
        .agg(
            participations=("project_id", "size"),
            participations_fractional=("weight", "sum"),
            projects=("project_id", "nunique"),
            organisations=("org_key", "nunique"),
            coordinations=("is_coordinator", "sum"),
            funded_participations=("funded", "sum"),
            ec_contribution=("ec_contribution", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
        .merge(totals.reset_index(), on="framework_programme")
    )
    mart["rank_participations"] = (
        mart.groupby("framework_programme")["participations"].rank(method="min", ascending=False).astype(int)
    )
    mart["country_name"] = mart.country_code.map(country_names)
    mart["is_focus_country"] = mart.country_code == focus_country
    mart["share_participations"] = mart.participations / mart.all_participations
    mart["share_projects"] = mart.projects / mart.all_projects
    mart["share_ec_contribution"] = mart.ec_contribution / mart.all_ec_contribution.replace(0, np.nan)
    return mart.sort_values(["framework_programme", "rank_participations", "country_code"]).reset_index(drop=True)


def mart_theme_profile(facts: pd.DataFrame, focus_country: str) -> pd.DataFrame:
    facts = facts.assign(
        is_focus=facts.country_code == focus_country,
        theme_code=facts.theme_code.fillna("unclassified"),
        theme_name=facts.theme_name.fillna("Unclassified"),
    )
    focus = facts[facts.is_focus]
    keys = ["framework_programme", "theme_code"]
    mart = facts.groupby(keys).agg(
        theme_name=("theme_name", "first"),
        pillar=("pillar", "first"),
        all_participations=("project_id", "size"),
        all_participations_fractional=("weight", "sum"),
    )
    focused = focus.groupby(keys).agg(
        projects=("project_id", "nunique"),
        participations=("project_id", "size"),
        participations_fractional=("weight", "sum"),
        ec_contribution=("ec_contribution", lambda s: s.sum(min_count=1)),
    )
    mart = mart.join(focused).reset_index()
    counts = ["projects", "participations", "participations_fractional"]
    mart[counts] = mart[counts].fillna(0)
    programme = mart.groupby("framework_programme")[
        ["participations", "all_participations", "participations_fractional", "all_participations_fractional"]
    ].sum()
    mart["share_overall"] = mart.framework_programme.map(programme.participations / programme.all_participations)
    mart["share_overall_fractional"] = mart.framework_programme.map(
        programme.participations_fractional / programme.all_participations_fractional
    )
    mart["share_participations"] = mart.participations / mart.all_participations
    mart["share_participations_fractional"] = mart.participations_fractional / mart.all_participations_fractional
    mart["activity_index"] = mart.share_participations / mart.share_overall.replace(0, np.nan)
    mart["activity_index_fractional"] = mart.share_participations_fractional / mart.share_overall_fractional.replace(
        0, np.nan
    )
    mart.insert(0, "focus_country", focus_country)
    return mart.sort_values(
        ["framework_programme", "participations", "theme_code"], ascending=[True, False, True]
    ).reset_index(drop=True)


def mart_partner_countries(
    facts: pd.DataFrame, country_names: dict[str, str], statuses: pd.DataFrame, focus_country: str
) -> pd.DataFrame:
    per_country = (
        facts[facts.country_code.notna()]
        .groupby(["framework_programme", "project_id", "country_code"])
        .agg(orgs=("org_key", "size"), n=("project_participants", "first"))
        .reset_index()
    )
    country_projects = per_country.groupby(["framework_programme", "country_code"]).size()
    focus = per_country[per_country.country_code == focus_country]
    pairs = focus.merge(per_country, on=["framework_programme", "project_id"], suffixes=("_f", ""))
    pairs = pairs[pairs.country_code != pairs.country_code_f]
    pairs = pairs.assign(
        links=pairs.orgs_f * pairs.orgs,
        links_fractional=pairs.orgs_f * pairs.orgs / (pairs.n_f * (pairs.n_f - 1) / 2.0),
    )
    mart = (
        pairs.groupby(["framework_programme", "country_code"])
        .agg(
            joint_projects=("project_id", "size"),
            links_full=("links", "sum"),
            links_fractional=("links_fractional", "sum"),
        )
        .reset_index()
        .rename(columns={"country_code": "partner_country"})
    )
    mart["focus_projects"] = mart.framework_programme.map(lambda fp: country_projects.get((fp, focus_country), np.nan))
    mart["partner_projects"] = [
        country_projects[(fp, c)] for fp, c in zip(mart.framework_programme, mart.partner_country, strict=True)
    ]
    mart["salton"] = mart.joint_projects / np.sqrt(mart.focus_projects * mart.partner_projects)
    mart["share_of_focus_projects"] = mart.joint_projects / mart.focus_projects
    mart["rank_joint_projects"] = (
        mart.groupby("framework_programme")["joint_projects"].rank(method="min", ascending=False).astype(int)
    )
    mart["partner_country_name"] = mart.partner_country.map(country_names)
    mart["partner_status"] = [
        statuses.at[c, fp]
        if c in statuses.index and fp in statuses.columns and statuses.at[c, fp] == statuses.at[c, fp]
        else "third"
        for c, fp in zip(mart.partner_country, mart.framework_programme, strict=True)
    ]
    mart.insert(0, "focus_country", focus_country)
    return mart.sort_values(["framework_programme", "rank_joint_projects", "partner_country"]).reset_index(drop=True)


def mart_institutions(facts: pd.DataFrame, orgs: pd.DataFrame, focus_country: str) -> pd.DataFrame:
    focus = facts[facts.country_code == focus_country].copy()
    single = focus.is_single_beneficiary.fillna(False).astype(bool)
    focus = focus.assign(
        coord=focus.is_coordinator & ~single,
        single_coord=focus.is_coordinator & single,
        funded=focus.funding_status == "funded",
        unfunded=focus.funding_status == "unfunded",
        project=focus.framework_programme + "/" + focus.project_id,
    )
    mart = focus.groupby("institution_key").agg(
        organisation_keys=("org_key", "nunique"),
        participations=("project_id", "size"),
        participations_fractional=("weight", "sum"),
        projects=("project", "nunique"),
        coordinations=("coord", "sum"),
        single_beneficiary_coordinations=("single_coord", "sum"),
        funded_participations=("funded", "sum"),
        unfunded_participations=("unfunded", "sum"),
        ec_contribution=("ec_contribution", lambda s: s.sum(min_count=1)),
        programmes=("framework_programme", lambda s: ", ".join(sorted(s.unique()))),
        themes=("theme_code", "nunique"),
        first_year=("start_year", "min"),
        last_year=("start_year", "max"),
    )
    main = (
        focus.groupby(["institution_key", "org_key"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["institution_key", "n", "org_key"], ascending=[True, False, True])
        .drop_duplicates("institution_key")
        .set_index("institution_key")["org_key"]
        .reindex(mart.index)
    )
    attributes = orgs.reindex(main.to_numpy())
    mart["institution_name"] = attributes["name"].to_numpy()
    mart["city"] = attributes["city"].to_numpy()
    mart["activity_type"] = attributes["activity_type"].to_numpy()
    mart["ror_id"] = None
    themes = (
        focus.groupby(["institution_key", "theme_name"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["institution_key", "n", "theme_name"], ascending=[True, False, True])
    )
    top_three = themes.groupby("institution_key").head(3)
    mart["top_themes"] = top_three.groupby("institution_key")["theme_name"].agg(" | ".join)
    mart = mart.reset_index()
    mart["rank_participations"] = mart.participations.rank(method="min", ascending=False).astype(int)
    mart.insert(0, "focus_country", focus_country)
    return mart.sort_values(["rank_participations", "institution_key"]).reset_index(drop=True)


def city_key(text: str) -> str:
    """The normalised city spelling mart_regions matches on (letters only, 'G.'/'GOROD' and 'RUSSIA' dropped)."""
    words = city_words(text)
    words = re.sub(r"^\s*(G|GOROD|CITY OF|Г|ГОРОД)\s+", "", words)
    words = re.sub(r"\s+(RUSSIA|RUSSIAN FEDERATION|РОССИЯ)\s*$", "", words)
    return re.sub(r"\s+", "", words)


def city_words(text: str) -> str:
    return re.sub(r"[\W\d_]+", " ", strip_accents(text.strip()).upper())


def mart_regions(facts: pd.DataFrame, regions: pd.DataFrame, focus_country: str) -> pd.DataFrame:
    spellings = []
    for row in regions.itertuples(index=False):
        for spelling in [row.city, *row.variants.split("|")]:
            if spelling.strip():
                spellings.append((city_key(spelling), row.city, row.federal_subject, row.federal_district))
    lookup = (
        pd.DataFrame(spellings, columns=["key", "city", "subject", "district"])
        .drop_duplicates()
        .sort_values(["key", "city"])
        .drop_duplicates("key")
        .set_index("key")
    )
    focus = facts[facts.country_code == focus_country].copy()
    use_regions = focus_country == "RU"

    def locate(city: str) -> tuple[str | None, str | None, str | None, bool]:
        key = city_key(city)
        if use_regions and key in lookup.index:
            hit = lookup.loc[key]
            return hit.city, hit.subject, hit.district, True
        words = re.sub(r"\s+", " ", city_words(city)).strip()
        return (words or None), None, None, False

    located = {city: locate(city) for city in focus.city.dropna().unique()}
    unknown = (None, None, None, False)
    parts = (
        list(zip(*[located.get(c, unknown) if isinstance(c, str) else unknown for c in focus.city], strict=True))
        if len(focus)
        else [[], [], [], []]
    )
    focus["city"], focus["federal_subject"], focus["federal_district"], focus["is_mapped"] = parts
    keys = ["framework_programme", "city", "federal_subject", "federal_district", "is_mapped"]
    mart = (
        focus.groupby(keys, dropna=False)
        .agg(
            participations=("project_id", "size"),
            participations_fractional=("weight", "sum"),
            organisations=("org_key", "nunique"),
            projects=("project_id", "nunique"),
            ec_contribution=("ec_contribution", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
    )
    programme_total = mart.groupby("framework_programme")["participations"].transform("sum")
    subject_total = mart.groupby(["framework_programme", "federal_subject"])["participations"].transform("sum")
    district_total = mart.groupby(["framework_programme", "federal_district"])["participations"].transform("sum")
    capitals = mart.participations.where(mart.federal_subject.isin(["Moscow", "Saint Petersburg"]), 0)
    mart["share_participations"] = mart.participations / programme_total
    mart["subject_share_participations"] = (subject_total / programme_total).where(mart.federal_subject.notna())
    mart["district_share_participations"] = (district_total / programme_total).where(mart.federal_district.notna())
    mart["moscow_spb_share"] = capitals.groupby(mart.framework_programme).transform("sum") / programme_total
    mart.insert(0, "focus_country", focus_country)
    return mart.sort_values(
        ["framework_programme", "participations", "city"], ascending=[True, False, True]
    ).reset_index(drop=True)


# ============================================================================================ run


def compute_marts(inputs: dict) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Every mart of the notebook, and how long each phase took."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    focus_country = inputs.get("focus_country", "RU")
    ref = reference_tables(inputs["reference_dir"])
    projects = stage_projects(inputs)
    lap("projects: read and clean")
    participations = stage_participations(inputs)
    lap("participations: read and clean")
    dim_project = build_projects(projects, participations, ref)
    facts = build_facts(participations, dim_project, ref)
    _, country_names = country_code_map(inputs)
    statuses = latest_status(ref["country_status"])
    orgs = organisations(participations, dim_project, facts.org_key[facts.country_code == focus_country])
    lap("projects, facts, organisations")
    marts = {
        "mart_country_participation": mart_country_participation(facts, focus_country),
        "mart_third_country_ranking": mart_third_country_ranking(facts, country_names, focus_country),
        "mart_theme_profile": mart_theme_profile(facts, focus_country),
        "mart_partner_countries": mart_partner_countries(facts, country_names, statuses, focus_country),
        "mart_institutions": mart_institutions(facts, orgs, focus_country),
        "mart_regions": mart_regions(facts, ref["ru_regions"], focus_country),
    }
    lap("marts")
    return marts, timings


def write_marts(marts: dict[str, pd.DataFrame], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in marts.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m bench.pandas_baseline INPUTS_JSON OUT_DIR", file=sys.stderr)
        return 2
    inputs = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    marts, timings = compute_marts(inputs)
    started = time.perf_counter()
    write_marts(marts, Path(args[1]))
    timings["write parquet"] = round(time.perf_counter() - started, 3)
    print(json.dumps({"timings": timings, "rows": {k: len(v) for k, v in marts.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
