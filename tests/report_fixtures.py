"""A small published warehouse for the report tests: the hand-built input of test_marts (its figures are worked
out there) plus one Horizon Europe project running on 2022-03-01, build metadata, provenance and a ROR record.

Added to test_marts' input:
  S1 HE  HORIZON-RIA 2021-09-01..2024-08-31  DE1* 500 | RU2 0 SANKT-PETERBURG   n=2
so RU2 has 4 participations (P2 Q2 R1 S1) and HE has RU 1 participation, 1 project, EU money 0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_core import O, P, build, load, new_warehouse
from test_marts import LINKS, PARTICIPATIONS, PROJECTS

from bilatrus_etl.warehouse import network, queries

EXTRA_PROJECTS = [
    P("HE", "S1", "2021-09-01", "2024-08-31", code="HORIZON.2.5", scheme="HORIZON-RIA", acronym="SUSPENDED")
]
EXTRA_PARTICIPATIONS = [
    O("HE", "S1", "DE1", "DE", role="coordinator", ec=500),
    O("HE", "S1", "RU2", "RU", ec=0, city="SANKT-PETERBURG"),
]
SHA = "ab" * 32
# the warehouse keeps bare ROR ids (dim_ror_institution, institution_link), as test_marts' links do not: use bare ones
LINKS = [(org, ror.removeprefix("https://ror.org/"), *rest) for org, ror, *rest in LINKS]


def build_fixture_warehouse(path: Path, *, synthetic: bool = True) -> Path:
    con = new_warehouse(path)
    load(con, PROJECTS + EXTRA_PROJECTS, PARTICIPATIONS + EXTRA_PARTICIPATIONS, LINKS)
    build(con)
    network.build_network(con)
    queries.run(
        con,
        "write_meta_build",
        {
            "built_at": "2026-11-01 12:00:00+00",
            "code": "test",
            "version": "0.1.0",
            "synthetic": synthetic,
            "sources": '{"cordis_fp7": "' + SHA + '"}',
            "mirror": "",
        },
        focus_country="RU",
    )
    provenance_frame = pd.DataFrame(
        [  # noqa: F841 (registered by name for the query)
            {
                "dataset": "cordis_fp7",
                "url": "https://cordis.example/old.zip",
                "fetched_at": "2026-10-01 00:00:00+00",
                "http_status": 200,
                "etag": None,
                "last_modified": None,
                "sha256": "cd" * 32,
                "bytes": 10,
                "path": "x",
                "changed": True,
                "release": None,
                "log_order": 0,
            },
            {
                "dataset": "cordis_fp7",
                "url": "https://cordis.example/fp7.zip",
                "fetched_at": "2026-10-30 08:00:00+00",
                "http_status": 200,
                "etag": None,
                "last_modified": None,
                "sha256": SHA,
                "bytes": 12,
                "path": "y",
                "changed": True,
                "release": None,
                "log_order": 1,
            },
        ]
    )
    con.register("provenance_frame", provenance_frame)
    queries.run(con, "write_download_provenance")
    con.execute("""
        CREATE TABLE dim_ror_institution AS SELECT
            'msu' AS ror_id, 'Lomonosov Moscow State University' AS display_name,
            'Московский государственный университет' AS name_ru, ['MSU'] AS acronyms, ['Moscow University'] AS aliases,
            ['education'] AS types, 'ras' AS parent_ror_id, 1755 AS established, 'active' AS status
        UNION ALL SELECT 'ras', 'Russian Academy of Sciences', NULL, ['RAS'], [], ['government'],
            NULL, 1724, 'active'
    """)
    con.close()
    return path
