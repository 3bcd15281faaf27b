"""Print precision, recall, F1 and every error of the institution matcher on the labelled set.

Usage: .venv/bin/python scripts/evaluate_matching.py [--registry PATH ...] [--labelled CSV] [--overrides CSV]
Defaults: both ROR samples in ../shared/data/registries and tests/labelled/ru_participants_labelled.csv.
"""

from __future__ import annotations

from bilatrus_etl.institutions.evaluate import main

if __name__ == "__main__":
    raise SystemExit(main())
