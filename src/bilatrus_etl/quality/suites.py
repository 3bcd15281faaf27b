"""Expectation suites: the JSON files in expectations/ read as Great Expectations ExpectationSuite objects.

One suite per table, `expectations/<table>.json`, in GX 1.x's own suite format. Every expectation's severity is
GX's own `severity` field: "critical" (the default) blocks the publish, "warning" only warns. The library
words them "error" and "warn" (ValidationOutcome.errors / .warnings); a suite written by hand may also give
`meta.severity` in those words. `load_suite` sets both on every expectation.
Suite parameters: `{"$PARAMETER": "iso3166_alpha2"}` in a kwarg is GX's own placeholder, resolved at validation
time from SUITE_PARAMETERS (the ISO set comes from pycountry). What GX has no expectation for (foreign keys,
rows per programme, column types) is not in a suite but an SQL check beside it (table_checks.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.quality.context import gx_context
from bilatrus_etl.resources import EXPECTATIONS_DIR

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite

SEVERITIES: tuple[str, ...] = ("error", "warn")
GX_SEVERITY = {"error": "critical", "warn": "warning"}
FROM_GX_SEVERITY = {"critical": "error", "warning": "warn", "info": "warn"}
# What suites once declared in `meta` for a mini-language of their own: now SQL checks (table_checks.py).
RETIRED_META = ("foreign_keys", "row_count_by_programme", "column_types")


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


def parameters_used(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return {str(value["$PARAMETER"])}
        return set().union(*(parameters_used(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(parameters_used(v) for v in value)) if value else set()
    return set()


def resolved(kwargs: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """kwargs with GX suite parameters ({"$PARAMETER": name}) replaced by their values."""
    return {
        k: parameters.get(v["$PARAMETER"], v) if isinstance(v, dict) and "$PARAMETER" in v else v
        for k, v in kwargs.items()
    }


# --------------------------------------------------------------------------------------------------
# Suites
# --------------------------------------------------------------------------------------------------


def list_suites(expectations_dir: Path | None = None) -> list[str]:
    """Names of the suites in expectations/ (each the name of the table it guards)."""
    folder = expectations_dir or EXPECTATIONS_DIR
    return sorted(path.stem for path in folder.glob("*.json"))


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
        _check_severity(expectation_severity(expectation), f"{path} expectation {position} ({expectation.get('type')})")
        expectation.setdefault("meta", {})
    declared = [key for key in RETIRED_META if key in meta]
    if declared:
        raise BilatrusError(
            f"Expectation suite {path} declares {', '.join(declared)} in its meta: write each as an SQL check, "
            f"sql/checks/{name}__<check>.sql (see quality/table_checks.py), and remove it from the suite."
        )
    return data


def expectation_severity(expectation: Mapping[str, Any]) -> str:
    """ "error" or "warn" (or the unknown word given): GX's `severity` field, else meta.severity, else "error"."""
    native = expectation.get("severity")
    if native is not None:
        native = getattr(native, "value", native)  # GX's FailureSeverity enum or its string
        return FROM_GX_SEVERITY.get(str(native), str(native))
    return str((expectation.get("meta") or {}).get("severity", "error"))


def _check_severity(severity: str, where: str) -> None:
    if severity not in SEVERITIES:
        raise BilatrusError(
            f"{where}: severity must be one of {SEVERITIES} (GX's severity field: "
            f"{', '.join(GX_SEVERITY.values())}), not {severity!r}."
        )


def load_suite(name: str, *, expectations_dir: Path | None = None) -> ExpectationSuite:
    """The GX ExpectationSuite stored in expectations/<name>.json.

    GX's `severity` field of every expectation is set (critical unless warning) and mirrored in the library's
    words onto `meta.severity` (error / warn). `$PARAMETER` placeholders stay in place; `validate_table`
    supplies their values.
    """
    data = read_suite_json(name, expectations_dir)
    expectations = []
    for expectation in data["expectations"]:
        severity = expectation_severity(expectation)
        expectations.append(
            {
                **expectation,
                "meta": {**expectation.get("meta", {}), "severity": severity},
                "severity": GX_SEVERITY[severity],
            }
        )
    gx_context()
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    try:  # ExpectationSuite(expectations=[dict]) only logs an invalid one: build each first, so it raises
        built = [ExpectationConfiguration(**expectation).to_domain_obj() for expectation in expectations]
        return ExpectationSuite(name=data["name"], expectations=built, meta=data.get("meta"))
    except Exception as err:  # GX raises its own and pydantic errors with the cause in the text
        raise BilatrusError(f"Expectation suite {name!r} does not load in Great Expectations: {err}") from err
