"""bilatrus_etl: the library behind the EU-Russia research collaboration warehouse.

Plain Python; never imports Dagster or anything in `pipelines/`.
"""

__version__ = "0.1.0"
