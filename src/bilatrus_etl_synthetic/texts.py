"""The words of a synthetic project: acronym, title, objective, and its topic and call codes per programme.

Owns `Text` (acronyms, titles and objectives from the vocabulary of data/text.json) and `codes` (the topic, topic
title, master call and sub call a project of a given programme, scheme and legal basis carries, in each
programme's own style).
"""

from __future__ import annotations

import random
from datetime import date

from bilatrus_etl_synthetic.tables import (
    ACRONYM_A,
    ACRONYM_B,
    ADJECTIVES,
    APPLICATIONS,
    FP6_PRIORITY,
    FP6_TITLES,
    SENTENCES,
    TECH,
    Scheme,
)


class Text:
    """Pre-built sentences so objectives cost a join, not a format, per project."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sentences = [
            rng.choice(SENTENCES).format(
                t=rng.choice(TECH),
                t2=rng.choice(TECH),
                a=rng.choice(APPLICATIONS),
                n=rng.randint(3, 12),
                ACR="The consortium",
            )
            for _ in range(1500)
        ]

    def acronym(self) -> str:
        rng = self.rng
        text = rng.choice(ACRONYM_A) + rng.choice(ACRONYM_B)
        roll = rng.random()
        if roll < 0.1:
            text = text.capitalize()
        elif roll < 0.15:
            text += str(rng.randint(2, 9))
        elif roll < 0.18:
            text = text[:3] + "-" + text[3:]
        return text

    def title(self) -> str:
        rng = self.rng
        core = f"{rng.choice(ADJECTIVES)} {rng.choice(TECH)} for {rng.choice(APPLICATIONS)}"
        roll = rng.random()
        if roll < 0.08:
            core += f': towards "{rng.choice(TECH)}"; a co-design approach'
        elif roll < 0.2:
            core += (
                f" and {rng.choice(APPLICATIONS)}: a {rng.choice(ADJECTIVES).lower()} framework combining "
                f"{rng.choice(TECH)} and {rng.choice(TECH)}"
            )
        return core + " (synthetic)"

    def objective(self) -> str:
        rng = self.rng
        sentences = self.sentences
        n = len(sentences)
        parts = [sentences[int(rng.random() * n)] for _ in range(3 + int(rng.random() * 7))]
        if rng.random() < 0.06:
            cut = rng.randint(1, len(parts) - 1)
            return " ".join(parts[:cut]) + "\n\n" + " ".join(parts[cut:])
        return " ".join(parts)


def codes(programme: str, scheme: Scheme, legal: str, start: date, rng: random.Random) -> tuple[str, str, str, str]:
    """(topic, topic title, master call, sub call)."""
    year = start.year - 1
    n = rng.randint(1, 30)
    if programme == "FP6":
        priority = FP6_PRIORITY[legal]
        return (
            f"{priority}-{year}-{rng.randint(1, 4)}.{rng.randint(1, 9)}.{rng.randint(1, 12)}",
            FP6_TITLES[legal],
            f"FP6-{year}-{priority}-{rng.randint(1, 6)}",
            "",
        )
    if programme == "FP7":
        if legal == "FP7-IDEAS-ERC":
            kind = "StG" if scheme.code == "ERC-SG" else "AdG"
            panel = rng.choice(("PE1", "PE3", "PE6", "LS2", "LS9", "SH2", "SH3"))
            call = f"ERC-{year}-{kind}"
            return f"ERC-{kind.upper()}-{panel}", f"ERC {kind} {panel}", call, call
        if legal == "FP7-PEOPLE":
            call = f"FP7-PEOPLE-{year}-{scheme.code.split('-', 1)[1]}"
            return call, scheme.code, call, call
        theme = legal.split("-", 1)[1]
        call = f"FP7-{theme}-{year}-{rng.randint(1, 8)}"
        return f"{theme}-{year}.{rng.randint(1, 9)}.{rng.randint(1, 6)}", f"{theme.title()} topic {n}", call, call
    if programme == "H2020":
        if legal == "H2020-EU.1.1.":
            kind = scheme.code.split("-")[1]
            call = f"ERC-{year}-{kind}"
            return call, f"ERC {kind}", call, call
        if legal.startswith("H2020-EU.1.3."):
            kind = {"H2020-EU.1.3.1.": "ITN", "H2020-EU.1.3.2.": "IF", "H2020-EU.1.3.3.": "RISE"}[legal]
            topic = f"MSCA-{kind}-{year}"
            return topic, f"Marie Skłodowska-Curie {kind}", f"H2020-{topic}", f"H2020-{topic}"
        if legal == "H2020-EU.2.3.1.":
            topic = f"SMEInst-{n:02d}-{year}"
            return topic, "SME instrument", f"H2020-SMEInst-{year}", f"H2020-SMEInst-{year}-{scheme.code[-1]}"
        prefix = {
            "H2020-EU.2.1.1.": "ICT",
            "H2020-EU.3.1.": "SC1-PM",
            "H2020-EU.3.2.": "SFS",
            "H2020-EU.3.3.": "LC-SC3",
            "H2020-EU.3.4.": "MG",
            "H2020-EU.3.5.": "SC5",
            "H2020-EU.3.6.": "TRANSFORMATIONS",
            "H2020-EU.3.7.": "SU-DRS",
            "H2020-EU.2.1.3.": "NMBP",
            "H2020-EU.1.2.1.": "FETOPEN",
            "H2020-EU.1.4.": "INFRAIA",
            "H2020-EU.4.": "WIDESPREAD",
            "H2020-EU.5.": "SwafS",
            "H2020-EU.3.4.5.4.": "JTI-CS2",
        }.get(legal, "H2020")
        topic = f"{prefix}-{n:02d}-{year}"
        master = f"H2020-{prefix}-{year}"
        return topic, f"{prefix} topic {n}", master, f"{master}-{rng.choice(('single-stage', 'two-stage', 'RTD'))}"
    # Horizon Europe
    if legal == "HORIZON.1.1":
        kind = "POC" if scheme.code.endswith("POC") else rng.choice(("STG", "COG", "ADG", "SyG"))
        call = f"ERC-{year + 1}-{kind}"
        return call, f"ERC {kind}", call, call
    if legal == "HORIZON.1.2":
        kind = scheme.code.rsplit("-", 2)[-2] if scheme.code.endswith("EF") else scheme.code.rsplit("-", 1)[-1]
        call = f"HORIZON-MSCA-{year + 1}-{kind}-01"
        return f"{call}-01", f"MSCA {kind}", call, call
    cluster = {
        "HORIZON.2.1": "CL1",
        "HORIZON.2.2": "CL2",
        "HORIZON.2.3": "CL3",
        "HORIZON.2.4": "CL4",
        "HORIZON.2.5": "CL5",
        "HORIZON.2.6": "CL6",
        "HORIZON.1.3": "INFRA",
        "HORIZON.3.1": "EIC",
        "HORIZON.4.1": "WIDERA",
    }.get(legal, "CL4")
    destination = rng.choice(("DIGITAL", "HEALTH", "D1", "D2", "D3", "RESILIENCE", "TWIN-TRANSITION", "ACCESS"))
    call = f"HORIZON-{cluster}-{year + 1}-{destination}-{rng.randint(1, 3):02d}"
    return f"{call}-{n:02d}", f"{cluster} {destination} topic {n}", call, call
