"""Evaluation without an engine: scores and their configs, built-in evaluators, LLM-as-judge and
the statistics that compare raters and experiments.

Shared by the SDK (an application evaluates its own outputs) and the server; it imports nothing of
the server, the storage, the query layer, ingestion or the CLI (an import-linter contract), and the
standard library is all it needs (jsonschema for `JsonSchema`, rapidfuzz to speed `StringSimilarity`
up: the `evaluation` extra).
"""

from theodolite.evaluation.evaluators import (
    BaseEvaluator,
    Contains,
    CustomEvaluator,
    Evaluator,
    ExactMatch,
    JsonSchema,
    JsonValid,
    NumericCloseness,
    Regex,
    StringSimilarity,
    custom,
)
from theodolite.evaluation.judge import ChatCompletionsProvider, Judge, PromptTemplate, ProviderError
from theodolite.evaluation.scores import CallUsage, EvaluationResult, InvalidScore, ScoreConfig
from theodolite.evaluation.statistics import (
    BootstrapInterval,
    CategoryComparison,
    Distribution,
    WinLossTie,
    bootstrap_mean_difference,
    category_distribution,
    cohens_kappa,
    compare_categories,
    win_loss_tie,
)
from theodolite.model import ScoreDataType

__all__ = [
    "BaseEvaluator",
    "BootstrapInterval",
    "CallUsage",
    "CategoryComparison",
    "ChatCompletionsProvider",
    "Contains",
    "CustomEvaluator",
    "Distribution",
    "EvaluationResult",
    "Evaluator",
    "ExactMatch",
    "InvalidScore",
    "JsonSchema",
    "JsonValid",
    "Judge",
    "NumericCloseness",
    "PromptTemplate",
    "ProviderError",
    "Regex",
    "ScoreConfig",
    "ScoreDataType",
    "StringSimilarity",
    "WinLossTie",
    "bootstrap_mean_difference",
    "category_distribution",
    "cohens_kappa",
    "compare_categories",
    "custom",
    "win_loss_tie",
]
