"""The projects and participations of one programme, generated from the world.

Owns `Project` and `Part` (one participation), how many participants each project gets (funding schemes of
data/programmes.json, summing exactly to the programme's participations), who takes part (organisations picked
by country weight; Russian organisations placed exactly, by RU_SHARE, in projects starting before RU_CUTOFF),
and each participation's role, EC contribution and cost.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from datetime import date, timedelta

from bilatrus_etl_synthetic.layout import (
    FULL_SCALE,
    PROGRAMMES,
    REFERENCE_DATE,
    RU_CUTOFF,
    RU_SHARE,
)
from bilatrus_etl_synthetic.orgs import Org, World, cum
from bilatrus_etl_synthetic.tables import (
    ASSOCIATED,
    EU,
    SCHEMES,
    START_YEARS,
    THIRD_WITHOUT_EC,
    Scheme,
)
from bilatrus_etl_synthetic.texts import Text, codes
from bilatrus_etl_synthetic.world import country_weights


class Part:
    __slots__ = ("cost", "ec", "ended", "order", "org", "role")

    def __init__(self, org: Org, role: str, order: int) -> None:
        self.org = org
        self.role = role
        self.order = order
        self.ec: float | None = None
        self.cost: float | None = None
        self.ended = False


class Project:
    __slots__ = (
        "acronym",
        "ec",
        "end",
        "legal",
        "master_call",
        "objective",
        "parts",
        "pid",
        "rcn",
        "scheme",
        "signature",
        "start",
        "status",
        "sub_call",
        "subjects",
        "title",
        "topic",
        "topic_title",
        "total",
        "update",
        "url",
    )
    acronym: str
    ec: float
    end: date
    legal: str
    master_call: str
    objective: str
    pid: str
    rcn: str
    scheme: Scheme
    signature: date
    start: date
    status: str
    sub_call: str
    subjects: str
    title: str
    topic: str
    topic_title: str
    total: float
    update: str
    url: str

    def __init__(self) -> None:
        self.parts: list[Part] = []


ID_RANGES: dict[str, tuple[int, int]] = {
    "FP6": (1_000, 80_000),
    "FP7": (200_000, 632_000),
    "H2020": (633_000, 1_010_000),
    "HE": (101_000_000, 101_300_000),
}
RCN_RANGES: dict[str, tuple[int, int]] = {
    "FP6": (50_000, 150_000),
    "FP7": (150_000, 300_000),
    "H2020": (300_000, 700_000),
    "HE": (700_000, 1_000_000),
}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))


def participant_counts(
    rng: random.Random, schemes: Sequence[Scheme], n_projects: int, n_parts: int
) -> tuple[list[Scheme], list[int]]:
    chosen = rng.choices(schemes, cum_weights=cum([s.weight for s in schemes]), k=n_projects)
    counts = [s.lo if s.lo == s.hi else round(rng.triangular(s.lo, s.hi, s.lo + (s.hi - s.lo) * 0.25)) for s in chosen]
    diff = n_parts - sum(counts)
    flexible = [i for i, s in enumerate(chosen) if s.hi > s.lo]
    if not flexible:
        flexible = list(range(n_projects))
    guard = 0
    while diff != 0 and guard < 50 * (abs(diff) + 10):
        guard += 1
        i = flexible[rng.randrange(len(flexible))]
        scheme = chosen[i]
        if diff > 0 and counts[i] < max(scheme.hi * 2, scheme.lo + 2):
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > max(1, scheme.lo):
            counts[i] -= 1
            diff += 1
    if diff != 0:  # tiny scales: put the rest anywhere
        for i in itertools.cycle(range(n_projects)):
            if diff == 0:
                break
            if diff > 0:
                counts[i] += 1
                diff -= 1
            elif counts[i] > 1:
                counts[i] -= 1
                diff += 1
    return chosen, counts


def pick(rng: random.Random, world: World, country: str, taken: set[str]) -> Org:
    pool = world.pools[country]
    cw = world.cum[country]
    total = cw[-1]
    for _ in range(6):
        org = pool[bisect.bisect_right(cw, rng.random() * total)]
        if org.pic not in taken:
            return org
    for org in pool:
        if org.pic not in taken:
            return org
    return org


def generate_programme(programme: str, world: World, seed: int, scale: float) -> tuple[list[Project], random.Random]:
    rng = random.Random(f"bilatrus-synthetic:{seed}:{programme}")
    full_projects, full_parts = FULL_SCALE[programme]
    n_projects = max(1, round(full_projects * scale))
    n_parts = max(n_projects, round(full_parts * scale))
    schemes, counts = participant_counts(rng, SCHEMES[programme], n_projects, n_parts)
    lo, hi = ID_RANGES[programme]
    ids = rng.sample(range(lo, hi), n_projects)
    rlo, rhi = RCN_RANGES[programme]
    rcns = rng.sample(range(rlo, rhi), n_projects)
    years, year_weights = START_YEARS[programme]
    year_cum = cum(year_weights)
    text = Text(rng)
    weights = country_weights(programme)
    participant_countries = list(weights)
    participant_cum = cum([weights[c] for c in participant_countries])
    coordinator_countries = [
        c for c in participant_countries if c in EU or c in ASSOCIATED or (programme == "HE" and c == "UK")
    ]
    coordinator_cum = cum([weights[c] for c in coordinator_countries])
    n_slots = sum(counts)
    slot_countries = rng.choices(participant_countries, cum_weights=participant_cum, k=n_slots)
    coord_countries = rng.choices(coordinator_countries, cum_weights=coordinator_cum, k=n_projects)
    projects: list[Project] = []
    slot = 0
    for index in range(n_projects):
        scheme = schemes[index]
        count = counts[index]
        project = Project()
        project.scheme = scheme
        project.pid = str(ids[index])
        if programme == "FP6":  # FP6 contract numbers: zero-padded 0xxxxx and 5xxxxx
            number = ids[index] if ids[index] < 45_000 else 500_000 + ids[index] - 45_000
            project.pid = f"{number:06d}"
        project.rcn = str(rcns[index])
        project.acronym = text.acronym()
        project.title = text.title()
        project.objective = text.objective()
        project.legal = rng.choice(scheme.legal)
        year = years[bisect.bisect_right(year_cum, rng.random() * year_cum[-1])]
        project.start = date(year, rng.randint(1, 12), 1 if rng.random() < 0.7 else rng.randint(1, 28))
        project.end = add_months(project.start, rng.randint(*scheme.months)) - timedelta(days=1)
        project.signature = project.start - timedelta(days=rng.randint(10, 200))
        project.topic, project.topic_title, project.master_call, project.sub_call = codes(
            programme, scheme, project.legal, project.start, rng
        )
        if programme in {"FP6", "FP7"}:
            project.status = "TERMINATED" if rng.random() < 0.01 else "CLOSED"
        else:
            project.status = "CLOSED" if project.end < REFERENCE_DATE else "SIGNED"
            if rng.random() < 0.01:
                project.status = "TERMINATED"
        project.update = (
            f"{REFERENCE_DATE.year}-0{rng.randint(6, 9)}-{rng.randint(10, 28)} "
            f"{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}:00"
        )
        project.url = f"http://www.{project.acronym.lower().replace('-', '')}.eu" if rng.random() < 0.3 else ""
        project.subjects = ";".join(
            sorted(
                set(rng.choices(("INF", "IPS", "SCI", "ENV", "MED", "BIO", "ENE", "SOC", "TRA"), k=rng.randint(1, 3)))
            )
        )
        taken: set[str] = set()
        for order in range(1, count + 1):
            country = coord_countries[index] if order == 1 else slot_countries[slot + order - 1]
            org = pick(rng, world, country, taken)
            if scheme.code.startswith(("SME", "HORIZON-EIC")) and order == 1:
                for _ in range(6):  # SME instrument and EIC: companies
                    if org.activity == "PRC":
                        break
                    org = pick(rng, world, country, taken)
            elif count == 1:
                for _ in range(4):  # single beneficiaries are mostly universities and research bodies
                    if org.activity in {"HES", "REC"}:
                        break
                    org = pick(rng, world, country, taken)
            taken.add(org.pic)
            project.parts.append(Part(org, "coordinator" if order == 1 else "participant", order))
        slot += count
        projects.append(project)
    place_russia(programme, projects, world, rng, n_parts)
    assign_roles_and_money(programme, projects, rng)
    return projects, rng


def place_russia(programme: str, projects: list[Project], world: World, rng: random.Random, n_parts: int) -> None:
    target = round(n_parts * RU_SHARE[programme])
    if programme == "HE":
        target = max(2, target)
    available = [o for o in world.ru if o.first <= PROGRAMMES.index(programme)]
    ru_cum = cum([o.weight for o in available])
    eligible = [p for p in projects if p.scheme.ru_ok and len(p.parts) >= 3 and p.start < RU_CUTOFF]
    if programme in {"FP6", "FP7"}:
        coordinated = [p for p in eligible if p.scheme.code in {"SSA", "CA", "CSA-SA", "CSA-CA"}]
        n_coord = min(len(coordinated), round(target * 0.02))
    else:
        coordinated, n_coord = [], 0
    slots = [(p, i) for p in eligible for i in range(1, len(p.parts))]
    chosen = rng.sample(slots, min(len(slots), target - n_coord))
    chosen += [(p, 0) for p in rng.sample(coordinated, n_coord)]
    # the best-known institutions take the first slots, so even a tiny demo mirror has them
    leading = sorted(available, key=lambda o: (-o.weight, o.pic))[:3]
    for n, (project, i) in enumerate(chosen):
        taken = {part.org.pic for part in project.parts}
        org = available[bisect.bisect_right(ru_cum, rng.random() * ru_cum[-1])]
        if n < len(leading):
            org = leading[n]
        for _ in range(8):
            if org.pic not in taken:
                break
            org = available[bisect.bisect_right(ru_cum, rng.random() * ru_cum[-1])]
        if org.pic in taken:
            org = next((o for o in available if o.pic not in taken), org)
        project.parts[i].org = org


def without_ec(programme: str, part: Part, rng: random.Random) -> bool:
    """Does this participation get no EU money (partners, most Russians after FP7, rich third countries)?"""
    country = part.org.country
    if part.role in {"partner", "associatedPartner", "internationalPartner"}:
        return True
    if country == "RU":
        if programme == "HE":
            return True
        if programme == "H2020":
            return rng.random() < 0.75
        return programme == "FP7" and rng.random() < 0.15
    return (
        country in THIRD_WITHOUT_EC
        and programme in {"H2020", "HE"}
        and rng.random() < 0.8
        and part.role != "coordinator"
    )


def assign_roles_and_money(programme: str, projects: list[Project], rng: random.Random) -> None:
    for project in projects:
        scheme = project.scheme
        n = len(project.parts)
        for part in project.parts[1:]:
            roll = rng.random()
            if programme == "H2020":
                if scheme.code == "MSCA-IF-GF":
                    part.role = "partner"
                elif roll < 0.07:
                    part.role = "thirdParty"
                elif roll < 0.10 or (part.org.country == "RU" and roll < 0.3):
                    part.role = "partner"
                elif roll < 0.102:
                    part.role = "internationalPartner"
            elif programme == "HE":
                if roll < 0.07:
                    part.role = "thirdParty"
                elif roll < 0.12:
                    part.role = "associatedPartner"
        if programme == "FP6":
            total = sum(rng.uniform(80_000, 900_000) for _ in range(max(1, n)))
            project.ec = round(total * rng.uniform(0.5, 0.75), 2)
            project.total = round(total, 2)
            if rng.random() < 0.02:
                project.total = 0.0
            continue
        ec_total = 0.0
        cost_total = 0.0
        lo, hi = scheme.ec
        for part in project.parts:
            org = part.org
            if without_ec(programme, part, rng):
                ec = 0.0
            else:
                ec = lo if lo == hi else rng.uniform(lo, hi)
                if part.role == "coordinator" and n > 1:
                    ec *= 1.3
                if part.role == "thirdParty":
                    ec *= 0.2 if rng.random() < 0.6 else 0.0
                if org.country == "RU":
                    ec *= 0.15  # Russian partners received small amounts (mostly INCO and staff exchanges)
                roll = rng.random()
                if roll < 0.35:
                    ec = float(round(ec))
                elif roll < 0.55:
                    ec = round(ec * 4) / 4
                else:
                    ec = round(ec, 2)
            rate = 1.0 if org.activity in {"HES", "REC", "PUB", "OTH"} and not scheme.code.endswith("IA") else 0.7
            if programme == "FP7" and not scheme.code.startswith(("ERC", "MC")):
                rate = 0.75 if org.activity != "PRC" else 0.5
            cost = ec / rate if ec > 0 else (round(rng.uniform(10_000, 300_000), 2) if rng.random() < 0.6 else 0.0)
            part.ec = round(ec, 2)
            part.cost = round(cost, 2) if rng.random() < 0.5 else float(round(cost))
            ec_total += part.ec
            cost_total += part.cost
            russian_after_cutoff = org.country == "RU" and project.end >= RU_CUTOFF
            if (russian_after_cutoff and rng.random() < 0.6) or rng.random() < 0.03:
                part.ended = True
        project.ec = round(ec_total, 2)
        project.total = round(max(cost_total, ec_total), 2)
        if scheme.code in {"ERC-POC", "HORIZON-AG", "HORIZON-ERC-POC"} and rng.random() < 0.3:
            project.total = 0.0  # lump sums: total cost "not declared"
