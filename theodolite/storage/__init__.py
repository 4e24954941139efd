"""Durable storage: the schema, the engines, the single writer. Nothing outside this package writes SQL."""
