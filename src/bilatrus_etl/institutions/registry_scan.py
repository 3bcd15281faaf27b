"""The fast path of the focus-country reader: a scan of a ROR dump's JSON file with DuckDB's JSON reader picks
the records `registry.filter_country` keeps (the focus country's records and their relatives) and returns their
JSON text, so that only those few hundred are decoded in Python.

The scan reads an item exactly as the Python reader does only when the item has the documented shape; it says
so per item (sql/queries/ror_scan_items.sql, then ror_focus_records.sql for the text of the items kept). When DuckDB cannot read the file (not a JSON array, truncated,
damaged), any item is of another shape, or the second read does not number the items as the first did,
`focus_records` returns None and the caller reads the dump with the Python reader, which names the defect as it
always did.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse import queries


def focus_records(path: Path, country_code: str) -> list[tuple[int, str]] | None:
    """(item index, JSON text) of the records to keep for `country_code`, in file order; None when the dump must
    be read by the Python reader instead."""
    con = duckdb.connect()
    try:
        queries.run(con, "ror_scan_items", {"path": str(path), "code": country_code.upper()})
        if con.execute("SELECT count(*) FROM _ror_items WHERE NOT plain").fetchall()[0][0]:
            return None
        kept = queries.run(con, "ror_focus_records", {"path": str(path)}).fetchall()
        if not all(same for _, _, same in kept):
            return None
        return [(int(item), str(text)) for item, text, _ in kept]
    except BilatrusError as err:  # DuckDB could not read the file: the Python reader names the defect
        if isinstance(err.__cause__, duckdb.Error):
            return None
        raise
    finally:
        con.close()
