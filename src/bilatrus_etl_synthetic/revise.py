"""Revisions of a mirror: the next month's files of the same programmes, with known changes.

Owns `revise_mirror`: in the FP7 organisation file one Russian participation is removed, one added and one
revised, and one Russian organisation is renamed in every programme's organisation file; each round is recorded
in manifest.json. Only whole, well-formed lines are touched.
"""

from __future__ import annotations

import csv
import json
import os
import random
import zipfile
from pathlib import Path
from typing import Any

from bilatrus_etl_synthetic.layout import (
    CONTACT_FORM,
    LEGACY_ORGANIZATION_COLUMNS,
    MANIFEST_FILE,
    ORGANIZATION_COLUMNS,
    PROGRAMMES,
    money_comma,
    money_dot,
    quote_row,
    sha256_of,
    zip_info,
)

_ORG_FILE = {
    "FP6": ("cordis-fp6organizations.csv", None),
    "FP7": ("cordis-fp7projects-csv.zip", "organization.csv"),
    "H2020": ("cordis-h2020projects-csv.zip", "organization.csv"),
    "HE": ("cordis-HORIZONprojects-csv.zip", "organization.csv"),
}
_ORG_PIC_NAME = {"FP6": (LEGACY_ORGANIZATION_COLUMNS.index("id"), LEGACY_ORGANIZATION_COLUMNS.index("name"))}
_REVISED_PROGRAMME = "FP7"
_REVISION_EXTRA_EC = 10_000.0
_ADDED_EC = 25_000.0


def _clean_fields(line: str, width: int) -> list[str] | None:
    """The fields of a physical line that is one whole, well-formed record (malformed lines are left alone)."""
    if not line.endswith("\n"):
        return None
    fields = next(csv.reader([line], delimiter=";"), [])
    return fields if len(fields) == width and quote_row(fields) == line else None


def _read_org_lines(dest: Path, programme: str) -> tuple[list[str], dict[str, bytes] | None]:
    """The programme's organisation file as lines (and, for a zip, every member's bytes in order)."""
    name, member = _ORG_FILE[programme]
    path = dest / name
    if member is None:
        return path.read_text(encoding="utf-8").splitlines(keepends=True), None
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    return members[member].decode("utf-8").splitlines(keepends=True), members


def _write_org_lines(dest: Path, programme: str, lines: list[str], members: dict[str, bytes] | None) -> None:
    name, member = _ORG_FILE[programme]
    path = dest / name
    text = "".join(lines).encode("utf-8")
    temporary = path.with_name(f".{name}.tmp")
    if member is None:
        temporary.write_bytes(text)
    else:
        with zipfile.ZipFile(temporary, "w") as zf:
            for member_name, data in (members or {}).items():
                with zf.open(zip_info(member_name), "w") as fh:
                    fh.write(text if member_name == member else data)
    os.replace(temporary, path)


def revise_mirror(dest: Path) -> dict[str, Any]:
    """Change a mirror written by `write_mirror` as a monthly CORDIS update would; return what changed.

    In the FP7 organisation file (organization.csv of the FP7 zip): one Russian participation removed, one added
    (a Russian organisation joins a project it was not in, EUR 25,000), one revised (its EC contribution raised by
    EUR 10,000); and one Russian organisation renamed in every programme's organisation file. Only whole,
    well-formed lines are touched (the malformed lines placed on purpose stay as they were). Each call is the
    next round (1, 2, ...), deterministic for the mirror's seed; the round is recorded under `revisions` in
    manifest.json, whose `expected` counts keep describing the original files.
    """
    dest = Path(dest)
    manifest_file = dest / MANIFEST_FILE
    if not manifest_file.is_file():
        raise ValueError(f"{dest} holds no synthetic mirror (no {MANIFEST_FILE}): write one first (`bilatrus demo`).")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    round_number = len(manifest.get("revisions", [])) + 1
    rng = random.Random(f"bilatrus-synthetic-revise:{manifest.get('seed')}:{round_number}")
    width = len(ORGANIZATION_COLUMNS)
    col = {
        name: ORGANIZATION_COLUMNS.index(name)
        for name in (
            "projectID",
            "projectAcronym",
            "organisationID",
            "name",
            "country",
            "order",
            "role",
            "ecContribution",
            "netEcContribution",
            "totalCost",
            "endOfParticipation",
            "contactForm",
            "contentUpdateDate",
        )
    }
    lines, members = _read_org_lines(dest, _REVISED_PROGRAMME)
    clean = {i: f for i, line in enumerate(lines[1:], start=1) if (f := _clean_fields(line, width)) is not None}
    russian = [i for i, f in clean.items() if f[col["country"]] == "RU" and f[col["organisationID"]]]
    participants = [i for i in russian if clean[i][col["role"]] == "participant"]
    if len(russian) < 3 or not participants:
        raise ValueError(
            f"the {_REVISED_PROGRAMME} files of {dest} have too few Russian participations to revise "
            f"({len(russian)}): write the mirror with a larger --scale"
        )
    removed_line = rng.choice(participants)
    revised_line = rng.choice([i for i in russian if i != removed_line])
    pics = sorted({clean[i][col["organisationID"]] for i in russian})
    untouched = [
        p
        for p in pics
        if p not in {clean[removed_line][col["organisationID"]], clean[revised_line][col["organisationID"]]}
    ]
    renamed_pic = rng.choice(untouched or pics)
    joining = clean[rng.choice([i for i in russian if i not in (removed_line, revised_line)] or russian)]
    in_project: dict[str, set[str]] = {}
    for f in clean.values():
        in_project.setdefault(f[col["projectID"]], set()).add(f[col["organisationID"]])
    candidates = sorted(p for p, orgs in in_project.items() if joining[col["organisationID"]] not in orgs)
    project_id = rng.choice(candidates)
    project_lines = [f for f in clean.values() if f[col["projectID"]] == project_id]

    def key(f: list[str]) -> dict[str, str]:
        return {
            "programme": _REVISED_PROGRAMME,
            "project_id": f[col["projectID"]],
            "pic": f[col["organisationID"]],
            "name": f[col["name"]],
        }

    revised = list(clean[revised_line])
    old_ec = revised[col["ecContribution"]]
    new_ec = money_dot(float(old_ec or 0) + _REVISION_EXTRA_EC)
    revised[col["ecContribution"]] = revised[col["netEcContribution"]] = new_ec
    lines[revised_line] = quote_row(revised)
    added = list(joining)
    added[col["projectID"]] = project_id
    added[col["projectAcronym"]] = project_lines[0][col["projectAcronym"]]
    added[col["contentUpdateDate"]] = project_lines[0][col["contentUpdateDate"]]
    added[col["contactForm"]] = f"{CONTACT_FORM}{joining[col['organisationID']]}/{project_id}"
    added[col["order"]] = str(max(int(f[col["order"]] or 0) for f in project_lines) + 1)
    added[col["role"]] = "participant"
    added[col["ecContribution"]] = added[col["netEcContribution"]] = money_dot(_ADDED_EC)
    added[col["totalCost"]] = money_comma(_ADDED_EC)
    added[col["endOfParticipation"]] = "False"
    record: dict[str, Any] = {
        "round": round_number,
        "removed": [key(clean[removed_line])],
        "added": [{**key(added), "role": "participant", "ec_contribution": _ADDED_EC}],
        "revised": [{**key(revised), "field": "ecContribution", "from": old_ec, "to": new_ec}],
    }
    lines = [line for i, line in enumerate(lines) if i != removed_line] + [quote_row(added)]
    _write_org_lines(dest, _REVISED_PROGRAMME, lines, members)
    record["renamed"] = _rename_everywhere(dest, renamed_pic, round_number)
    record["summary"] = (
        f"1 Russian participation removed, 1 added and 1 revised in {_REVISED_PROGRAMME}; organisation "
        f"{renamed_pic} renamed to {record['renamed']['to']!r}"
    )
    for name, entry in manifest.get("files", {}).items():
        if (dest / name).is_file():
            entry["bytes"] = (dest / name).stat().st_size
            entry["sha256"] = sha256_of(dest / name)
    manifest.setdefault("revisions", []).append(record)
    manifest_file.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return record


def _rename_everywhere(dest: Path, pic: str, round_number: int) -> dict[str, Any]:
    """Give organisation `pic` a new name in every programme's organisation file; return old, new and lines."""
    new_name = ""
    old_names: set[str] = set()
    changed: dict[str, int] = {}
    for programme in PROGRAMMES:
        if not (dest / _ORG_FILE[programme][0]).is_file():
            continue
        pic_at, name_at = _ORG_PIC_NAME.get(
            programme, (ORGANIZATION_COLUMNS.index("organisationID"), ORGANIZATION_COLUMNS.index("name"))
        )
        width = len(LEGACY_ORGANIZATION_COLUMNS if programme == "FP6" else ORGANIZATION_COLUMNS)
        lines, members = _read_org_lines(dest, programme)
        count = 0
        for i, line in enumerate(lines[1:], start=1):
            fields = _clean_fields(line, width)
            if fields is None or fields[pic_at] != pic:
                continue
            old_names.add(fields[name_at])
            new_name = new_name or f"{fields[name_at]} (RENAMED {round_number})"
            fields[name_at] = new_name
            lines[i] = quote_row(fields)
            count += 1
        if count:
            _write_org_lines(dest, programme, lines, members)
            changed[programme] = count
    return {"pic": pic, "from": sorted(old_names), "to": new_name, "lines": changed}
