"""Focus-country institutions: the ROR registry, name normalisation, the matcher, the links and their evaluation.

registry (reading ROR dumps) over ror_schema (one record of schema v1 or v2 flattened); normalise (names to
match keys), cities, alignment (which words tell institutions apart); overrides (curated decisions); index,
vocabulary and candidates (the registry as the matcher searches it); stages and matcher (the decision rule);
methods (the one table of match methods); link (participants to institutions, and the warehouse tables
dim_ror_institution and institution_link); evaluate (precision and recall on a development set).
"""
