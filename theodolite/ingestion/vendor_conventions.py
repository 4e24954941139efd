"""What one vendor's OTLP spans mean beyond the attribute table in `semconv.py`.

The table maps a key to a field whatever span carries it. A few facts depend on more than the
key: whether the span is the trace's root, which SDK made it, or what a metadata key is called.
Each function here takes the span's attributes (and removes what it consumes), pure like the
adapter that calls it. Why each rule exists is in the docstrings; the wire facts come from the
SDKs named there, captured against a recording server.
"""

from __future__ import annotations

import re
from typing import Any

from theodolite.ingestion.semconv import LANGSMITH_METADATA_PREFIX
from theodolite.ingestion.values import to_json, to_provider, to_tags

LANGFUSE_SCOPE = "langfuse-sdk"
# Langfuse has no provider field: users put it in the observation's metadata under one of these.
LANGFUSE_PROVIDER_METADATA_KEYS = ("provider", "ls_provider", "model_provider")
LANGSMITH_RUN_NAME = "langsmith.trace.name"
# Keys that the attribute table maps only when the root span carries them:
# - Langfuse v3's `update_current_trace(input=, output=)` sends the trace's I/O on the span it was
#   called in (usually the root). Theodolite shows a trace's I/O as its root observation's, so on
#   the root they are that observation's input and output, ahead of `langfuse.observation.*`
#   (Langfuse shows the explicit trace I/O over the root's). On another span they would hide that
#   span's own I/O, and belong to no observation: they stay attributes.
# - LangSmith's `langsmith.trace.name` is each run's *own* name (langsmith 0.15 sets it from
#   `run.name` on every span): only the root's names the trace; a child's would rename the trace
#   after whichever span arrived last.
ROOT_ONLY_KEYS = ("langfuse.trace.input", "langfuse.trace.output", LANGSMITH_RUN_NAME)
# langsmith 0.15: the metadata keys that are the SDK's facts about the run, not the user's metadata:
# copies of the LANGSMITH_*/LANGCHAIN_* environment (`get_langchain_env_var_metadata`), the
# usage it copies from the outputs, `ls_*` run keys (ls_method, ls_model_name, ls_provider...)
# and the git `revision_id`.
LANGSMITH_RUN_KEY = re.compile(r"^(LANGSMITH_|LANGCHAIN_|ls_)|^(usage_metadata|revision_id)$")
OPENLIT_SDK_NAME = "openlit"


def langfuse_provider(metadata: dict[str, Any] | None) -> str | None:
    """The provider a Langfuse user wrote into the observation's metadata (v5 JSON-encodes the
    values and v3 sends them raw; both arrive decoded here)."""
    for key in LANGFUSE_PROVIDER_METADATA_KEYS:
        provider = to_provider((metadata or {}).get(key))
        if provider is not None:
            return provider
    return None


def provider_of_model(model: str | None) -> str | None:
    """The provider the public price table files `model` under; None when it does not know it."""
    if not model:
        return None
    # Imported here: the price table is loaded only in the decode workers, which call this.
    from theodolite.pricing.engine import find_provider

    return find_provider(model)


def set_aside_root_only(attributes: dict[str, Any], span_name: str) -> dict[str, Any]:
    """Remove, from a span that is not the trace's root, the keys whose rules hold only on the
    root (ROOT_ONLY_KEYS); the caller puts them back once the rules have run, so that they stay
    in the span's attributes. A LangSmith run name equal to the span's name is dropped: it says
    nothing the name does not."""
    aside = {key: attributes.pop(key) for key in ROOT_ONLY_KEYS if key in attributes}
    if aside.get(LANGSMITH_RUN_NAME) == span_name:
        del aside[LANGSMITH_RUN_NAME]
    return aside


def take_langsmith_metadata(attributes: dict[str, Any]) -> dict[str, Any]:
    """The user's `langsmith.metadata.<key>` attributes as trace metadata. The SDK's run facts
    under the same prefix (LANGSMITH_RUN_KEY) describe this run, not the trace: they stay in the
    span's attributes, verbatim. User and session keys were consumed by the trace rules before."""
    picked: dict[str, Any] = {}
    for key in [k for k in attributes if k.startswith(LANGSMITH_METADATA_PREFIX)]:
        name = key[len(LANGSMITH_METADATA_PREFIX) :]
        if not LANGSMITH_RUN_KEY.search(name):
            picked[name] = to_json(attributes.pop(key))
    return picked


def is_openlit(resource: dict[str, Any]) -> bool:
    """OpenLIT overrides `telemetry.sdk.name` with its own name (openlit 1.45)."""
    return resource.get("telemetry.sdk.name") == OPENLIT_SDK_NAME


def take_openlit_custom(attributes: dict[str, Any], trace_metadata: dict[str, Any]) -> list[str]:
    """OpenLIT writes `custom_span_attributes` and `inject_additional_attributes` verbatim: the
    bare `agent` and `tags` keys mean what Langfuse dashboards call metadata `agent` and the tags.
    Returns the tags; `agent` goes into `trace_metadata` unless `gen_ai.agent.name` named it
    already (the standard key wins; a different bare value stays an attribute)."""
    agent = attributes.get("agent")
    if isinstance(agent, str) and agent and trace_metadata.get("agent") in (None, agent):
        trace_metadata["agent"] = attributes.pop("agent")
    tags = to_tags(attributes.get("tags"))
    if tags:
        del attributes["tags"]
    return tags
