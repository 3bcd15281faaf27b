"""The benchmark: the pipeline end to end against a DuckDB-only floor and a plain pandas notebook.

`make bench` (`python -m bench.run`) generates synthetic mirrors in the official layouts (full scale and four
times), serves them on loopback, and measures at each size: (a) a full refresh through the real CLI, (b) a
no-op refresh, (c) the floor (one DuckDB SQL script built from the project's own SQL models), (d) a pandas
script computing the same marts. See bench/README.md.

Modules: inputs (the mirror's files, extracted), server (loopback HTTP mirror), measure (wall time and peak
memory of a subprocess tree), floor, pandas_baseline, compare (marts side by side), steps (Dagster step
timings), run (the orchestration and the report). Nothing here is imported by the library or the pipeline.
"""
