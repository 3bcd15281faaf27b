"""Jinja2 rendering of the report pages and the number formats they use (package templates in templates/)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2

from bilatrus_etl.resources import REPORT_TEMPLATES_DIR


def num(value: Any, digits: int = 0) -> str:
    """A count with thousands separators (digits decimals for fractional values); '–' for none."""
    if value is None:
        return "–"
    return (
        f"{value:,.{digits}f}"
        if digits or isinstance(value, float) and not float(value).is_integer()
        else f"{int(value):,}"
    )


def pct(share: Any) -> str:
    """A share (0..1) as a percentage: whole numbers from 10 %, one decimal below, '<0.1%' for tiny shares."""
    if share is None:
        return "–"
    value = 100 * float(share)
    if value == 0:
        return "0%"
    if abs(value) < 0.1:
        return "<0.1%"
    return f"{value:.0f}%" if abs(value) >= 10 else f"{value:.1f}%"


def change(ratio: Any) -> str:
    """A relative change (0.25 -> '+25%'), rounded like pct; '–' where there is nothing to compare with."""
    if ratio is None:
        return "–"
    text = pct(abs(ratio))
    return "±0%" if text == "0%" else ("+" if ratio > 0 else "−") + text


def eur(value: Any) -> str:
    """EUR amounts shortened from 10,000 (k, m, bn); 'not reported' for none (FP6 has no per-participant money)."""
    if value is None:
        return "not reported"
    value = float(value)
    for threshold, scale, unit, digits in ((1e9, 1e9, " bn", 2), (1e6, 1e6, " m", 1), (1e4, 1e3, " k", 0)):
        if abs(value) >= threshold:
            return f"€{value / scale:,.{digits}f}{unit}"
    return f"€{value:,.0f}"


def ror_url(ror_id: Any) -> str:
    """The registry page of a ROR id (bare, as the warehouse keeps it, or already a URL)."""
    from bilatrus_etl.institutions.ror_schema import ROR_URL_PREFIX, short_ror_id

    return ROR_URL_PREFIX + (short_ror_id(str(ror_id)) or "")


def country_name(code: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_2=(code or "").upper())
    return getattr(found, "common_name", None) or getattr(found, "name", None) or code


def json_block(value: Any) -> str:
    """JSON for a <script type="application/json"> element (no '</' that could close it)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja2's environment where `row.field` on a plain dict (every row the pages show) reads the key at once.

    Jinja's getattr tries the attribute first and falls back to the key; the AttributeError raised for every field
    of every row was a third of the time spent writing the pages. A dict has no attribute of such a name, so the
    value is the one Jinja gives; its methods (`.items`, `.get`) and every other object go through Jinja as usual.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@cache
def environment() -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(REPORT_TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    env.filters.update(num=num, pct=pct, change=change, eur=eur, ror_url=ror_url)
    return env


def warm_up() -> None:
    """Compile every page template (Jinja caches them in the environment)."""
    env = environment()
    for template in env.list_templates(extensions=["html"]):
        env.get_template(template)


def page(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
