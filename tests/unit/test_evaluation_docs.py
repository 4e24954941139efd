"""docs/evaluation.md's examples run as written (the judge's is built, not called: no network here; the
experiment's, which needs a server and a model, is fenced `py`, not `python`, and is not run)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"


def test_the_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 5
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})  # noqa: S102 - our own documentation


def test_every_built_in_evaluator_is_in_the_table() -> None:
    import theodolite.evaluation as evaluation

    classes = {name: getattr(evaluation, name) for name in evaluation.__all__}
    built_in = [
        name for name, cls in classes.items()
        if isinstance(cls, type) and issubclass(cls, evaluation.BaseEvaluator)
        and name not in ("BaseEvaluator", "CustomEvaluator", "Judge")  # their own sections
    ]  # fmt: skip
    assert len(built_in) == 7
    rows = DOC.read_text()
    assert [name for name in built_in if f"| `{name}(" not in rows] == []
