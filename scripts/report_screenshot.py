"""Take the README's screenshot of the landscape report (docs/report-screenshot.png, kept under 300 KB).

Run after `make demo` and `bilatrus report`: `.venv/bin/python scripts/report_screenshot.py [REPORT_DIR]`.
Uses the tests' headless Chromium helper (tests/browser.py): Debian's chromium and the playwright package.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import chromium, served  # noqa: E402
from PIL import Image  # noqa: E402

WIDTH, COLOURS, LIMIT = 600, 32, 300_000


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "reports"
    target = ROOT / "docs" / "report-screenshot.png"
    with served(folder) as base, chromium(Path(tempfile.mkdtemp()), width=1100) as browser:
        visit = browser.visit(f"{base}/index.html", screenshot="report-full.png")
    if not visit.offline_ok:
        print(visit.problems())
        return 1
    image = Image.open(visit.screenshot).convert("RGB")
    image = image.resize((WIDTH, round(image.size[1] * WIDTH / image.size[0])), Image.LANCZOS)
    image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        target, optimize=True
    )
    size = target.stat().st_size
    print(f"{target}: {size:,} bytes")
    return 0 if size < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
