"""The canonical trace model every wire format decodes into and every reader reads.

Plain dataclasses with no dependencies, so that the SDK, the ingestion adapters and the storage
layer can all share them without importing each other.
"""

from theodolite.model.entities import (
    GENERATION_LIKE,
    Batch,
    Cost,
    CostStatus,
    Level,
    Observation,
    ObservationType,
    Rejection,
    Score,
    ScoreDataType,
    Source,
    Trace,
    Usage,
    is_provider_call,
    merge_trace,
)

__all__ = [
    "GENERATION_LIKE",
    "Batch",
    "Rejection",
    "Cost",
    "CostStatus",
    "Level",
    "Observation",
    "ObservationType",
    "Score",
    "ScoreDataType",
    "Source",
    "Trace",
    "Usage",
    "is_provider_call",
    "merge_trace",
]
