"""Group `history`: what the last refresh changed, as the metadata of an asset downstream of the publish."""

from typing import Any

import dagster as dg

from pipelines.defs.resources import BilatrusConfig

PUBLISHED = dg.AssetKey(["warehouse", "published_warehouse"])


@dg.asset(
    key=["history", "vintage_changes"],
    group_name="history",
    kinds={"duckdb"},
    deps=[PUBLISHED],
    description="What changed between the last two vintages of the published warehouse, for the focus country: "
    "projects added and removed, participations added, ended and changed, institutions renamed, mart figures that "
    "moved (the same as `bilatrus diff`). Every vintage is kept in the warehouse (meta_vintage, history_* views).",
)
def vintage_changes(bilatrus: BilatrusConfig) -> dg.MaterializeResult:
    from bilatrus_etl.warehouse.vintages import changes

    summary = changes.vintage_changes(bilatrus.settings())
    metadata: dict[str, Any] = {
        "vintages": summary["vintages"],
        "from_vintage": summary["from"] or "none",
        "to_vintage": summary["to"] or "none",
        "changes": dg.MetadataValue.md(summary["markdown"]),
    }
    metadata.update({kind.replace(" ", "_"): count for kind, count in summary["counts"].items()})
    return dg.MaterializeResult(metadata=metadata)
