"""Freshness and retry policies shared by the assets."""

from datetime import timedelta

import dagster as dg

# The published file is expected to be confirmed current (rebuilt, or checked against unchanged sources) within a
# month and a few days. The marts carry none: when the sources do not change they are up to date (not stale) in
# Dagster's data-version terms without being rebuilt.
MONTHLY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=35), warn_window=timedelta(days=32))

# Transient download failures (network, 5xx past urllib3's own retries) retry the step.
DOWNLOAD_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)
