"""The files of a mirror folder the baselines read: CORDIS programme files and cordisref tables, on disk.

The pipeline downloads and unzips; the baselines (the DuckDB floor and the pandas script) read the same
files from disk. `extract_inputs` finds each catalog dataset in the mirror folder (official name, else its
`mirror_glob`), extracts the archive members the pipeline reads (project.csv, organization.csv) with the
library's own `archive.extract`, and tells each file's layout from its header, as staging does. The result
is written as JSON so that the pandas script needs nothing from the project.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from bilatrus_etl.ingest import archive, catalog
from bilatrus_etl.ingest.readers import cordis_csv, legacy_csv
from bilatrus_etl.ingest.readers import cordisref as cordisref_reader
from bilatrus_etl.ingest.readers.columns import FileRef
from bilatrus_etl.ingest.readers.header import sniff_header
from bilatrus_etl.ingest.steps import ROLE_OF_LAYOUT, ROLE_OF_MEMBER
from bilatrus_etl.resources import REFERENCE_DIR

INPUTS_FILE = "inputs.json"


@dataclass(frozen=True)
class InputFile:
    """One file a baseline reads, named as the pipeline names it."""

    path: str
    source_file: str
    dataset: str
    programme: str | None
    role: str  # 'projects', 'organizations', or the cordisref kind ('countries', 'fp7_programmes', ...)
    source_format: str  # legacy_csv, cordis_csv or cordisref_csv
    delimiter: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Inputs:
    """Every file of one mirror, and the curated reference folder the SQL models read."""

    files: tuple[InputFile, ...]
    reference_dir: str
    focus_country: str = "RU"

    def programme_files(self) -> list[InputFile]:
        return [f for f in self.files if f.source_format != cordisref_reader.SOURCE_FORMAT]

    def reference_files(self) -> list[InputFile]:
        return [f for f in self.files if f.source_format == cordisref_reader.SOURCE_FORMAT]

    def write(self, folder: Path) -> Path:
        path = Path(folder) / INPUTS_FILE
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        return path


def read_inputs(path: Path) -> Inputs:
    """Inputs from the JSON written by `Inputs.write`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    files = tuple(InputFile(**{**f, "columns": tuple(f["columns"])}) for f in data["files"])
    return Inputs(files, data["reference_dir"], data.get("focus_country", "RU"))


def extract_inputs(mirror: Path, dest: Path, focus_country: str = "RU") -> Inputs:
    """Find every programme and reference file of the mirror; unzip archive members into `dest`."""
    mirror, dest = Path(mirror), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    files: list[InputFile] = []
    for dataset in catalog.load_catalog().values():
        if dataset.kind == "programme":
            files += _programme_files(dataset, mirror, dest)
        elif dataset.kind == "reference":
            files.append(_reference_file(dataset, catalog.find_in_folder(dataset, mirror)))
    inputs = Inputs(tuple(files), str(REFERENCE_DIR), focus_country)
    inputs.write(dest)
    return inputs


def _programme_files(dataset: catalog.Dataset, mirror: Path, dest: Path) -> list[InputFile]:
    path = catalog.find_in_folder(dataset, mirror)
    if dataset.format == "zip" and dataset.members:
        members = archive.extract(path, dest / dataset.key, dataset=dataset)
        found = []
        for member, member_path in members.items():
            role = ROLE_OF_MEMBER.get(Path(member).name.lower())
            if role:
                source = f"{dataset.file_name}!{Path(member).name}"
                found.append(_programme_file(dataset, member_path, source, role))
        return found
    return [_programme_file(dataset, path, dataset.file_name, ROLE_OF_LAYOUT[dataset.layout])]


def _programme_file(dataset: catalog.Dataset, path: Path, source: str, role: str) -> InputFile:
    ref = FileRef(dataset.key, source, dataset.programme)
    header = sniff_header(path, ref)
    source_format = _layout(header.names, role)
    return InputFile(
        str(path), source, dataset.key, dataset.programme, role, source_format, header.delimiter, tuple(header.names)
    )


def _layout(names: list[str], role: str) -> str:
    """The reader staging would pick for this header (current CORDIS when unsure)."""
    if cordis_csv.recognises(names, role):
        return cordis_csv.SOURCE_FORMAT
    if legacy_csv.recognises(names, role):
        return legacy_csv.SOURCE_FORMAT
    return cordis_csv.SOURCE_FORMAT


def _reference_file(dataset: catalog.Dataset, path: Path) -> InputFile:
    kind = cordisref_reader.kind_of(dataset.key, path.name)
    ref = FileRef(dataset.key, path.name, kind.programme)
    header = sniff_header(path, ref)
    return InputFile(
        str(path),
        path.name,
        dataset.key,
        kind.programme,
        kind.name,
        cordisref_reader.SOURCE_FORMAT,
        header.delimiter,
        tuple(header.names),
    )


def reader_layout(file: InputFile) -> tuple[str, object]:
    """(landing table, Layout) the pipeline's reader maps this file with."""
    if file.source_format == cordisref_reader.SOURCE_FORMAT:
        kind = cordisref_reader.KINDS[file.role]
        return kind.landing_table, kind.layout
    module = legacy_csv if file.source_format == legacy_csv.SOURCE_FORMAT else cordis_csv
    if file.role == "projects":
        return "land_project", module.PROJECT_LAYOUT
    return "land_participation", module.ORGANIZATION_LAYOUT
