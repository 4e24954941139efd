"""Langfuse v2: the low-level trace()/span()/generation()/score() API; JSON batches to
/api/public/ingestion, Basic auth public:secret."""

from __future__ import annotations

import os

from common import (
    ANSWER,
    DOCUMENTS,
    MESSAGES,
    METADATA,
    MODEL,
    MODEL_PARAMETERS,
    OPENAI_USAGE,
    PROVIDER,
    QUESTION,
    SCORE,
    SESSION_ID,
    TAGS,
    TOOL_ERROR,
    USER_ID,
    langfuse_public_key,
    report_id,
    sdk_settings,
)
from langfuse import Langfuse

url, key = sdk_settings()
langfuse = Langfuse(public_key=langfuse_public_key(), secret_key=key, host=url, release="rel-42")

trace = langfuse.trace(
    name="handle_question",
    input={"question": QUESTION},
    user_id=USER_ID,
    session_id=SESSION_ID,
    tags=TAGS,
    metadata=METADATA,
)
# In v2 the trace is the root: the children hang off it directly (no parentObservationId).
root = trace
retriever = root.span(name="search_docs", input={"query": QUESTION}, metadata={"kind": "retriever"})
retriever.end(output=DOCUMENTS)
tool = root.span(name="calculator", input={"expression": "2 + 2"}, metadata={"kind": "tool"})
try:
    raise ValueError(TOOL_ERROR)
except ValueError as error:  # the application goes on without the tool
    tool.end(level="ERROR", status_message=str(error))
generation = root.generation(
    name="chat", model=MODEL, model_parameters=MODEL_PARAMETERS, input=MESSAGES, metadata={"provider": PROVIDER}
)
generation.end(output={"role": "assistant", "content": ANSWER}, usage_details=OPENAI_USAGE)
trace.update(output=ANSWER)
# THEODOLITE_SCORE_CONFIG_ID: the score names a score config by id (sent as `configId`)
langfuse.score(trace_id=trace.id, name=SCORE["name"], value=SCORE["value"], comment=SCORE["comment"],
               config_id=os.environ.get("THEODOLITE_SCORE_CONFIG_ID"))  # fmt: skip
langfuse.flush()
langfuse.shutdown()
report_id(trace.id)
