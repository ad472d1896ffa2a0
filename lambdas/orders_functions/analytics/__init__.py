"""Consumer of the ``analytics-ingestion`` queue: every event into the data lake."""
