"""The current CORDIS layout (FP7, H2020, Horizon Europe): one zip per programme of `;`-separated CSV members.

Owns the project.csv and organization.csv rows in the official column order (money with a decimal comma or dot
as CORDIS writes it), and `write_current`, which writes a programme's zip: project, organization, legalBasis,
topics, euroSciVoc, webItem and webLink members, the two data members with their malformed lines.
"""

from __future__ import annotations

import itertools
import random
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from bilatrus_etl_synthetic.faults import write_rows
from bilatrus_etl_synthetic.layout import (
    CONTACT_FORM,
    EUROSCIVOC_COLUMNS,
    LEGALBASIS_COLUMNS,
    MALFORMED_KINDS,
    MALFORMED_PIC_BASE,
    ORGANIZATION_COLUMNS,
    PROGRAMME_FILES,
    PROGRAMMES,
    PROJECT_COLUMNS,
    TOPICS_COLUMNS,
    WEBITEM_COLUMNS,
    WEBLINK_COLUMNS,
    money_comma,
    money_dot,
    quote_row,
    zip_info,
)
from bilatrus_etl_synthetic.orgs import Org
from bilatrus_etl_synthetic.projects import ID_RANGES, Part, Project
from bilatrus_etl_synthetic.sink import CsvSink
from bilatrus_etl_synthetic.tables import FP7_PROGRAMMES, H2020_PROGRAMMES, HE_TITLES
from bilatrus_etl_synthetic.texts import Text


def project_row(programme: str, p: Project) -> list[str]:
    return [
        p.pid,
        p.acronym,
        p.status,
        p.title,
        p.start.isoformat(),
        p.end.isoformat(),
        money_comma(p.total),
        money_comma(p.ec),
        p.legal,
        p.topic,
        p.signature.isoformat(),
        "HORIZON" if programme == "HE" else programme,
        p.master_call,
        p.sub_call,
        p.scheme.code,
        "",
        p.objective,
        p.update,
        p.rcn,
        f"10.3030/{p.pid}" if programme != "FP7" or p.rcn[-1] in "02468" else "",
    ]


def organisation_fields(programme: str, org: Org) -> list[str]:
    """The organisation's own fields of an organization.csv row (organisationID .. organizationURL)."""
    return [
        org.pic,
        org.vat,
        org.name_in(programme),
        org.short,
        org.sme,
        org.activity,
        org.street,
        org.postcode,
        org.city_in(programme),
        org.country,
        "",
        org.geo,
        org.url,
    ]


def organization_row(programme: str, p: Project, part: Part) -> list[str]:
    org = part.org
    return [
        p.pid,
        p.acronym,
        *organisation_fields(programme, org),
        f"{CONTACT_FORM}{org.pic}/{p.pid}",
        p.update,
        org.rcn,
        str(part.order),
        part.role,
        money_dot(part.ec or 0.0),
        money_dot(part.ec or 0.0),
        money_comma(part.cost or 0.0),
        "True" if part.ended else "False",
        "",
    ]


def organization_texts(programme: str, projects: Sequence[Project]) -> Iterable[str]:
    """The same text as `quote_row(organization_row(...))`, with organisation fields quoted once."""
    cache: dict[str, str] = {}
    for p in projects:
        head = quote_row([p.pid, p.acronym])[:-1]
        for part in p.parts:
            org = part.org
            fragment = cache.get(org.pic)
            if fragment is None:
                fragment = quote_row(organisation_fields(programme, org))[:-1]
                cache[org.pic] = fragment
            ec = money_dot(part.ec or 0.0)
            yield (
                f'{head};{fragment};"{CONTACT_FORM}{org.pic}/{p.pid}";"{p.update}";"{org.rcn}";"{part.order}";'
                f'"{part.role}";"{ec}";"{ec}";"{money_comma(part.cost or 0.0)}";'
                f'"{"True" if part.ended else "False"}";""\n'
            )


def write_current(
    dest: Path, programme: str, projects: list[Project], rng: random.Random, k: int, text: Text
) -> dict[str, Any]:
    name = PROGRAMME_FILES[programme][0]
    path = dest / name
    members: dict[str, Any] = {}
    lo, hi = ID_RANGES[programme]
    used_ids = {p.pid for p in projects}

    def fresh_id() -> str:
        while True:
            candidate = str(rng.randrange(lo, hi))
            if candidate not in used_ids:
                used_ids.add(candidate)
                return candidate

    with zipfile.ZipFile(path, "w") as zf:

        def member(
            member_name: str,
            columns: Sequence[str],
            rows: Iterable[Sequence[str] | str],
            n: int = 0,
            bad: Callable[[int], Sequence[str]] | None = None,
            text_index: int = 0,
            note: str = "",
        ) -> None:
            with zf.open(zip_info(member_name), "w") as fh:
                sink = CsvSink(fh, columns, quote_all=True)
                if bad is None:
                    for fields in rows:
                        sink.row(fields)
                else:
                    write_rows(
                        sink,
                        (r if isinstance(r, str) else quote_row(r) for r in rows),
                        n,
                        rng,
                        k,
                        bad,
                        text_index,
                        note,
                        first_kind=(PROGRAMMES.index(programme) + len(member_name)) % len(MALFORMED_KINDS),
                    )
                members[member_name] = sink.summary()

        ev_rows = [
            (p.pid, f"/{code}", f"/{path_}", title, "")
            for p, (code, path_, title) in zip(
                projects[:50],
                itertools.cycle(
                    (
                        ("29/33/1", "natural sciences/physical sciences/optics/laser physics", "laser physics"),
                        (
                            "23/61/5",
                            "engineering and technology/environmental engineering/energy and fuels",
                            "energy and fuels",
                        ),
                        ("21/13", "natural sciences/biological sciences/ecology", "ecology"),
                    )
                ),
            )
        ]
        member("euroSciVoc.csv", EUROSCIVOC_COLUMNS, ev_rows)
        titles = (
            {code: title for _rcn, code, title, *_ in FP7_PROGRAMMES}
            if programme == "FP7"
            else ({code: title for _rcn, code, title in H2020_PROGRAMMES} if programme == "H2020" else HE_TITLES)
        )
        member(
            "legalBasis.csv",
            LEGALBASIS_COLUMNS,
            ([p.pid, p.legal, titles.get(p.legal, p.legal), "True"] for p in projects),
        )
        parts = [(p, part) for p in projects for part in p.parts]

        def bad_org(index: int) -> list[str]:
            p, part = parts[index]
            row = organization_row(programme, p, part)
            row[2] = str(MALFORMED_PIC_BASE + index)
            row[4] = f"SYNTHETIC MALFORMED PARTNER {index} GMBH"
            row[11] = "DE"
            row[19] = "participant"
            return row

        member(
            "organization.csv",
            ORGANIZATION_COLUMNS,
            organization_texts(programme, projects),
            len(parts),
            bad_org,
            4,
            "extra participation row (not RU), not counted in records",
        )

        def bad_project(index: int) -> list[str]:
            row = project_row(programme, projects[index])
            row[0] = fresh_id()
            row[3] = text.title()
            return row

        member(
            "project.csv",
            PROJECT_COLUMNS,
            (project_row(programme, p) for p in projects),
            len(projects),
            bad_project,
            3,
            "extra project row with an id used nowhere else, not counted in records",
        )
        member("topics.csv", TOPICS_COLUMNS, ([p.pid, p.topic, p.topic_title] for p in projects))
        member("webItem.csv", WEBITEM_COLUMNS, ())
        member(
            "webLink.csv",
            WEBLINK_COLUMNS,
            (
                [
                    f"http://www.{p.acronym.lower()}.eu",
                    str(1000 + i),
                    "en",
                    "",
                    "",
                    "relatedWebsite",
                    "",
                    "project",
                    p.pid,
                ]
                for i, p in enumerate(projects[:20])
            ),
        )
    return {name: {"kind": "zip", "programme": programme, "members": members}}
