"""Make a Great Expectations Data Docs site work offline.

GX's page templates load jQuery, Bootstrap, bootstrap-table, Font Awesome and Vega from CDNs (and the navbar logo
from an S3 bucket), so offline the index renders empty. `make_offline(site_dir)` copies the same files, vendored
as package data (vendor/datadocs/, with their licences), into `<site>/static/vendor/` and rewrites every page's
CDN references to relative links to them. It runs after each GX `build_data_docs`; rewriting is idempotent.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bilatrus_etl.resources import VENDOR_DIR

ASSETS_DIR = VENDOR_DIR / "datadocs"
SITE_VENDOR = Path("static") / "vendor"

#: CDN address in GX's templates -> vendored file (relative to vendor/datadocs/).
CDN_TO_LOCAL: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/vega@5": "js/vega-5.33.1.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "js/vega-lite-5.23.0.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "js/vega-embed-6.29.0.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/fontawesome-6.6.0.all.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "js/jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "js/popper-1.12.9.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap-4.3.1.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap-4.3.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "js/bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "css/bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "js/bootstrap-table-filter-control-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "css/bootstrap-table-filter-control-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "css/bootstrap-table-filter-control-1.19.1.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "js/bootstrap-datepicker-1.9.0.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "css/bootstrap-datepicker-1.9.0.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "css/bootstrap-prefers-dark-1.1.0.css",
}
#: GX's navbar logo comes from this bucket; the same images ship in GX's own static/images/ of every site.
IMAGE_BUCKET = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"

_CDN = re.compile("|".join(re.escape(url) for url in sorted(CDN_TO_LOCAL, key=len, reverse=True)))
_BUCKET_IMAGE = re.compile(re.escape(IMAGE_BUCKET) + r"([A-Za-z0-9_.-]+?)(?:\?[^\"']*)?(?=[\"'])")
# Subresource-integrity and CORS attributes of the CDN tags: a local file needs neither, and `crossorigin`
# makes a file:// page refuse the script.
_SRI = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin="[^"]*")')


def install_assets(site_dir: Path) -> Path:
    """Copy the vendored files into <site>/static/vendor/ (only those missing or changed); return that folder."""
    target = site_dir / SITE_VENDOR
    for source in ASSETS_DIR.rglob("*"):
        if source.is_file() and source.suffix != ".md":
            dest = target / source.relative_to(ASSETS_DIR)
            if not dest.exists() or dest.stat().st_size != source.stat().st_size:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
    return target


def rewrite_page(html: str, prefix: str) -> str:
    """The page with every CDN reference pointed at `prefix` + the vendored file (prefix: path to the site root)."""
    html = _CDN.sub(lambda m: f"{prefix}{SITE_VENDOR.as_posix()}/{CDN_TO_LOCAL[m.group(0)]}", html)
    html = _BUCKET_IMAGE.sub(lambda m: f"{prefix}static/images/{m.group(1)}", html)
    return _SRI.sub("", html)


def make_offline(site_dir: Path | str) -> list[Path]:
    """Vendor the assets into the site and rewrite every page that still names a CDN; return the pages rewritten."""
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        return []
    install_assets(site_dir)
    rewritten: list[Path] = []
    for page in sorted(site_dir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        if not (_CDN.search(html) or IMAGE_BUCKET in html):
            continue
        depth = len(page.relative_to(site_dir).parts) - 1
        page.write_text(rewrite_page(html, "../" * depth), encoding="utf-8")
        rewritten.append(page)
    return rewritten


def external_references(site_dir: Path | str) -> dict[str, list[str]]:
    """Scripts, styles and images each page loads from outside the site (href/src starting with http or //)."""
    found: dict[str, list[str]] = {}
    loads = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="((?:https?:)?//[^"]+)"', re.I)
    for page in sorted(Path(site_dir).rglob("*.html")):
        urls = loads.findall(page.read_text(encoding="utf-8"))
        if urls:
            found[str(page)] = urls
    return found
