"""Framework programmes as static partitions of the download and staging assets."""

import dagster as dg

from bilatrus_etl.settings import PROGRAMMES

programme_partitions = dg.StaticPartitionsDefinition(list(PROGRAMMES))

# One run handles every selected programme, so a full refresh is one run from download to publish.
single_run = dg.BackfillPolicy.single_run()


def all_programmes_tags() -> dict[str, str]:
    """Run tags that select every programme partition in one run."""
    return {
        "dagster/asset_partition_range_start": PROGRAMMES[0],
        "dagster/asset_partition_range_end": PROGRAMMES[-1],
    }


def programme_range_tags(programmes: list[str]) -> dict[str, str]:
    """Run tags for a contiguous range of programmes (a single programme is a range of one)."""
    ordered = [p for p in PROGRAMMES if p in programmes]
    return {
        "dagster/asset_partition_range_start": ordered[0],
        "dagster/asset_partition_range_end": ordered[-1],
    }
