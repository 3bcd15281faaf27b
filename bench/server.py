"""The loopback mirror server of the benchmark: the tests' fixture server (ETag, Last-Modified, 304) over a
generated mirror folder, whose files carry their official names."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixture_server import FixtureServer as MirrorServer  # noqa: E402

__all__ = ["MirrorServer"]
