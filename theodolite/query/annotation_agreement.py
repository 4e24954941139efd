"""Agreement on one score name: Cohen's kappa between each pair of reviewers over the objects both
scored, and between the reviewers (pooled) and each other score source (an evaluator, a judge) on
the same objects. Engine-neutral arithmetic over labels the caller read; the kappa itself is
`theodolite.evaluation.cohens_kappa`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations
from typing import Any

from theodolite.evaluation import cohens_kappa

Labels = Mapping[str, Mapping[Hashable, Any]]  # rater -> {object: label}


def _kappa(a: Sequence[Any], b: Sequence[Any], weights: str | None, categories: Sequence[Any] | None) -> float | None:
    """None when there is nothing to compare or kappa is undefined (both raters used one label throughout)."""
    if not a:
        return None
    value = cohens_kappa(a, b, weights=weights, categories=categories)
    return None if math.isnan(value) else value


def reviewer_pairs(
    labels: Labels, *, weights: str | None = None, categories: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Per pair of reviewers (in name order): the objects both labelled (n) and their kappa."""
    pairs = []
    for first, second in combinations(sorted(labels), 2):
        shared = [key for key in labels[first] if key in labels[second]]
        a = [labels[first][key] for key in shared]
        b = [labels[second][key] for key in shared]
        pairs.append({"a": first, "b": second, "n": len(shared), "kappa": _kappa(a, b, weights, categories)})
    return pairs


def human_vs_sources(
    humans: Labels, sources: Labels, *, weights: str | None = None, categories: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Per other source (in name order): each human label paired with the source's label of the same
    object (an object two reviewers scored counts twice: n is the number of pairs)."""
    results = []
    for source in sorted(sources):
        theirs = sources[source]
        a, b = [], []
        for reviewer in sorted(humans):
            for key, label in humans[reviewer].items():
                if key in theirs:
                    a.append(label)
                    b.append(theirs[key])
        results.append({"source": source, "n": len(a), "kappa": _kappa(a, b, weights, categories)})
    return results
