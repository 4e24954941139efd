"""Demo traffic for `theodolite demo`: plausible LLM-application traces, made without I/O."""

from theodolite.demo.agents import AGENTS, MODELS
from theodolite.demo.traffic import generate_traffic

__all__ = ["AGENTS", "MODELS", "generate_traffic"]
