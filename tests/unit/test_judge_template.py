"""The judge's pure parts: templates, dotted-path mappings, finding the JSON in a reply, coercion."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from theodolite.evaluation import ScoreConfig, ScoreDataType
from theodolite.evaluation.judge import (
    MappingError,
    PromptTemplate,
    check_mapping,
    coerce,
    extract_json_object,
    resolve,
)


def test_template_variables_and_rendering() -> None:
    template = PromptTemplate("Q: {{question}}\nA: {{ answer }}\nAgain: {{question}}")
    assert template.variables == ("question", "answer")
    assert template.render({"question": "why?", "answer": {"because": [1, 2]}}) == (
        'Q: why?\nA: {"because": [1, 2]}\nAgain: why?'
    )
    with pytest.raises(MappingError, match=r"no value for \{\{answer\}\}"):
        template.render({"question": "why?"})
    with pytest.raises(ValueError, match="at least one"):
        PromptTemplate("no placeholders")


def test_values_are_not_expanded_again() -> None:
    # an output under evaluation that contains template syntax stays as written
    template = PromptTemplate("A: {{answer}} / R: {{reference}}")
    assert template.render({"answer": "{{reference}}", "reference": "secret"}) == "A: {{reference}} / R: secret"


@dataclass
class Message:
    role: str
    content: str


def test_dotted_paths() -> None:
    sources = {
        "input": {"messages": [{"role": "user", "content": "hi"}, Message("assistant", "hello")]},
        "output": "answer",
        "expected": None,
        "metadata": {"lang": "fr"},
    }
    assert resolve("output", sources) == "answer"
    assert resolve("input.messages.0.content", sources) == "hi"
    assert resolve("input.messages.-1.content", sources) == "hello"  # an attribute of an object
    assert resolve("metadata.lang", sources) == "fr"
    assert resolve("expected", sources) is None
    with pytest.raises(MappingError, match=r"'input.messages.5.role': input.messages has 2 items; '5' is no index"):
        resolve("input.messages.5.role", sources)
    with pytest.raises(MappingError, match=r"metadata has no key 'user' \(it has 'lang'\)"):
        resolve("metadata.user", sources)
    with pytest.raises(MappingError, match="output is str, which has no 'text'"):
        resolve("output.text", sources)
    with pytest.raises(MappingError, match="starts with 'trace'"):
        resolve("trace.id", sources)
    with pytest.raises(MappingError, match="has no '__class__'"):
        resolve("input.messages.1.__class__", sources)  # no private attributes


def test_mapping_is_checked_against_the_template() -> None:
    template = PromptTemplate("{{question}} {{output}} {{extra}}")
    with pytest.raises(MappingError, match="without a mapping: extra"):
        check_mapping(template, {"question": "input.q"})
    with pytest.raises(MappingError, match="starts with one of"):
        check_mapping(template, {"question": "input.q", "extra": "span.name"})
    paths = check_mapping(template, {"question": "input.q", "extra": "metadata.x"})
    assert paths == {"output": "output", "question": "input.q", "extra": "metadata.x"}


@pytest.mark.parametrize(
    "text",
    [
        '{"score": 4, "reasoning": "ok"}',
        '  \n{"score": 4, "reasoning": "ok"}\n',
        'Sure! ```json\n{"score": 4, "reasoning": "ok"}\n```',
        'My notes {not json} then {"score": 4, "reasoning": "ok"} and {"other": 1}',
    ],
)
def test_the_json_object_is_found(text: str) -> None:
    assert extract_json_object(text) == {"score": 4, "reasoning": "ok"}


def test_no_json_object() -> None:
    with pytest.raises(ValueError, match="no JSON object in the reply: '\\[1, 2\\]'"):
        extract_json_object("[1, 2]")


def test_coercion_forgives_text_replies_only_within_reason() -> None:
    stars = ScoreConfig("stars", min_value=1, max_value=5)
    assert coerce("4", stars) == 4.0 and coerce("four", stars) == "four"
    correct = ScoreConfig("correct", ScoreDataType.BOOLEAN)
    assert coerce("True", correct) is True and coerce("no", correct) is False and coerce("maybe", correct) == "maybe"
    tone = ScoreConfig("tone", ScoreDataType.CATEGORICAL, categories=["Polite", "Rude"])
    assert coerce("polite", tone) == "Polite" and coerce("nice", tone) == "nice"
