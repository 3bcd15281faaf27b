"""The cordisref reference tables of the mirror: countries, FP7 and H2020 programmes, activity types, schemes.

Owns `write_reference`, which writes the five cordisref-*.csv files in their real files' differing styles (with
or without a byte order mark, LF or CRLF, quoted or not), from the tables of data/countries.json and
data/programmes.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bilatrus_etl_synthetic.layout import PROGRAMMES, quote_min
from bilatrus_etl_synthetic.tables import (
    ACTIVITY_TYPES,
    COUNTRIES,
    FP7_PROGRAMMES,
    FUNDING_SCHEME_TITLES,
    H2020_PROGRAMMES,
    SCHEMES,
)


def write_reference(dest: Path) -> dict[str, Any]:
    files: dict[str, Any] = {}

    def put(name: str, header: str, lines: list[str], *, bom: bool, crlf: bool) -> None:
        newline = "\r\n" if crlf else "\n"
        text = ("\ufeff" if bom else "") + header + newline + "".join(line + newline for line in lines)
        (dest / name).write_bytes(text.encode("utf-8"))
        files[name] = {
            "kind": "csv",
            "layout": "cordisref",
            "records": len(lines),
            "bom": bom,
            "line_terminator": "CRLF" if crlf else "LF",
            "columns": header.replace('"', "").split(";"),
        }

    rows: list[str] = []
    for code in sorted(list(COUNTRIES) + ["XK"]):
        if code == "XK":
            iso, names = "NULL", {"de": "Kosovo", "en": "Kosovo", "fr": "Kosovo"}
        else:
            land = COUNTRIES[code]
            iso, names = land.iso, {"de": land.de, "en": land.en, "fr": land.fr}
        for language, label in sorted(names.items(), key=lambda item: item[1]):
            rows.append(f'"{code}";"{iso}";"{label}";"{language}"')
    put("cordisref-countries.csv", '"euCode";"isoCode";"name";"language"', rows, bom=True, crlf=False)

    rows = []
    for rcn, code, title, short in FP7_PROGRAMMES:
        rows.append(f"{rcn};{code};{quote_min(title)};{quote_min(short)};en")
    put("cordisref-FP7programmes.csv", "RCN;Code;Title;ShortTitle;Language", rows, bom=True, crlf=False)

    rows = [f"{rcn};{code};{quote_min(title)};;en" for rcn, code, title in H2020_PROGRAMMES]
    put("cordisref-H2020programmes.csv", "rcn;code;title;shortTitle;language", rows, bom=False, crlf=True)

    rows = [f"{code};{title};;en" for code, title in ACTIVITY_TYPES]
    put("cordisref-organizationActivityType.csv", "Code;Title;description;language", rows, bom=False, crlf=True)

    codes: list[str] = []
    for programme in PROGRAMMES:
        for scheme in SCHEMES[programme]:
            if scheme.code not in codes:
                codes.append(scheme.code)
    rows = [f"{code};{quote_min(FUNDING_SCHEME_TITLES.get(code, code))};;en" for code in codes]
    put("cordisref-projectFundingSchemeCategory.csv", "code;title;description;language", rows, bom=False, crlf=False)
    return files
