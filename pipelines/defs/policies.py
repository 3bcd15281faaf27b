"""Freshness and retry policies shared by the assets."""


from datetime import timedelta

import dagster as dg

# The marts and the published file are expected within a month and a few days of the last refresh.
MONTHLY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=35), warn_window=timedelta(days=32))

# Transient download failures (network, 5xx past urllib3's own retries) retry the step.
DOWNLOAD_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)
