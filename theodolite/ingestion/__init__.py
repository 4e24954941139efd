"""Ingestion: wire adapters decode requests into the model; the pipeline commits them."""
