"""The FP6 layout: two plain CSV files (projects and organisations), the older CORDIS column set.

Owns the legacy project rows (participants and their countries as `;`-joined lists, the coordinator apart) and
organisation rows (a fifth of them without a PIC, as in the real FP6 file), and `write_fp6`, which writes both
files with their malformed lines.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bilatrus_etl_synthetic.faults import write_rows
from bilatrus_etl_synthetic.layout import (
    LEGACY_ORGANIZATION_COLUMNS,
    LEGACY_PROJECT_COLUMNS,
    MALFORMED_PIC_BASE,
    PROGRAMME_FILES,
    money_comma,
    quote_row,
)
from bilatrus_etl_synthetic.projects import Part, Project
from bilatrus_etl_synthetic.sink import CsvSink
from bilatrus_etl_synthetic.texts import Text


def legacy_org_texts(projects: Sequence[Project], with_pic: dict[int, bool]) -> Iterable[str]:
    """The same text as `quote_row(legacy_org_row(...))`, with organisation fields quoted once."""
    cache: dict[str, str] = {}
    for p in projects:
        head = quote_row([p.rcn, p.pid, p.acronym])[:-1]
        for part in p.parts:
            org = part.org
            fragment = cache.get(org.pic)
            if fragment is None:
                fragment = quote_row([org.name_in("FP6"), org.short, org.activity])[:-1]
                cache[org.pic] = fragment
            tail = quote_row([org.country, org.street, org.city_in("FP6"), org.postcode, org.url])[:-1]
            yield (
                f'{head};"{part.role}";"{org.pic if with_pic[id(part)] else ""}";{fragment};'
                f'"{"True" if part.ended else "False"}";"";{tail};"";"";"";"";"";"";""\n'
            )


def legacy_project_row(p: Project) -> list[str]:
    coordinator = p.parts[0]
    others = p.parts[1:]
    return [
        p.rcn,
        p.pid,
        p.acronym,
        p.status,
        p.legal,
        p.topic,
        "FP6",
        p.title,
        p.start.isoformat(),
        p.end.isoformat(),
        p.url,
        p.objective,
        money_comma(p.total),
        money_comma(p.ec),
        p.master_call,
        p.scheme.code,
        coordinator.org.name_in("FP6"),
        coordinator.org.country,
        ";".join(x.org.name_in("FP6") for x in others),
        ";".join(x.org.country for x in others),
        p.subjects,
    ]


def legacy_org_row(p: Project, part: Part, with_pic: bool) -> list[str]:
    org = part.org
    return [
        p.rcn,
        p.pid,
        p.acronym,
        part.role,
        org.pic if with_pic else "",
        org.name_in("FP6"),
        org.short,
        org.activity,
        "True" if part.ended else "False",
        "",
        org.country,
        org.street,
        org.city_in("FP6"),
        org.postcode,
        org.url,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]


def write_fp6(dest: Path, projects: list[Project], rng: random.Random, k: int, text: Text) -> dict[str, Any]:
    files: dict[str, Any] = {}
    extra_ids = iter(rng.sample(range(60_000, 99_999), max(1, k)))
    path = dest / PROGRAMME_FILES["FP6"][0]
    with path.open("wb") as fh:
        sink = CsvSink(fh, LEGACY_PROJECT_COLUMNS, quote_all=True)

        def bad_project(index: int) -> list[str]:
            row = legacy_project_row(projects[index])
            row[0] = str(next(extra_ids) + 900_000)  # rcn of a project that exists nowhere else
            row[1] = f"{int(row[0]) - 300_000:06d}"  # 66xxxx: a reference used nowhere else
            row[7] = text.title()
            return row

        write_rows(
            sink,
            (quote_row(legacy_project_row(p)) for p in projects),
            len(projects),
            rng,
            k,
            bad_project,
            7,
            "extra project row, not counted in records",
            first_kind=0,
        )
        files[path.name] = {"kind": "csv", "programme": "FP6", "layout": "legacy-project", **sink.summary()}
    path = dest / PROGRAMME_FILES["FP6"][1]
    pic_rng = random.Random(rng.random())
    with_pic = {id(part): pic_rng.random() >= 0.2 for p in projects for part in p.parts}
    parts = [(p, part) for p in projects for part in p.parts]
    with path.open("wb") as fh:
        sink = CsvSink(fh, LEGACY_ORGANIZATION_COLUMNS, quote_all=True)

        def bad_org(index: int) -> list[str]:
            p, part = parts[index]
            row = legacy_org_row(p, part, True)
            row[3] = "participant"
            row[4] = str(MALFORMED_PIC_BASE + index)
            row[5] = f"SYNTHETIC MALFORMED PARTNER {index}"
            row[10] = "DE"
            return row

        write_rows(
            sink,
            legacy_org_texts(projects, with_pic),
            len(parts),
            rng,
            k,
            bad_org,
            5,
            "extra participation row (not RU), not counted in records",
            first_kind=1,
        )
        summary = sink.summary()
        summary["rows_without_pic"] = sum(1 for v in with_pic.values() if not v)
        files[path.name] = {"kind": "csv", "programme": "FP6", "layout": "legacy-organization", **summary}
    return files
