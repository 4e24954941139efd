"""Theodolite: observability for LLM applications.

This module is the SDK facade; it must stay importable with the SDK's own dependencies alone
(the server lives behind the `server` extra).
"""

__version__ = "0.1.0"
