"""The synthetic generator: deterministic CORDIS and ROR inputs in the official file layouts, for the demo, the
tests and the benchmark. It is not part of the library (bilatrus_etl never imports it).

Modules, from the folder down:
- mirror: `write_mirror(dest, scale=, seed=)` writes the mirror folder (files, SYNTHETIC.txt, manifest.json) and
  the command line (`python -m bilatrus_etl_synthetic DEST`);
- revise: `revise_mirror(dest)`, the next month's files with known changes;
- cordis, legacy, reference, ror: the writers of each official layout (current CORDIS zips, FP6 CSV files,
  cordisref tables, the ROR dump and its filler records);
- faults, sink: the malformed lines placed on purpose, and the CSV sink that counts what it writes;
- projects, texts, world, russia, orgs: the generated projects, participations and organisations;
- layout: file names, columns, programmes and value formats; tables: the data files of data/*.json.
"""
