"""Prometheus alert rules for LLM applications, generated from one rule catalog."""
