"""Helpers for bench/ingest.py: payload building, load generation, server control, reporting."""
