"""The warehouse: SQL models and their runs (models), the atomic publish (publish), the pipeline's warehouse
steps (run, meta, versions, network, recovery), the declaration of the tables built in Python (tables), the
data dictionary (dictionary), vintages (vintages/), the published file's summary (published) and doctor."""
