"""Langfuse v5: observations as OTel spans (OTLP protobuf, gzip, to /api/public/otel/v1/traces),
trace attributes through propagate_attributes, the score as a JSON array to /api/public/scores."""

from __future__ import annotations

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
from langfuse import Langfuse, propagate_attributes

url, key = sdk_settings()
langfuse = Langfuse(
    public_key=langfuse_public_key(), secret_key=key, base_url=url, release="rel-42", environment="staging"
)

with (
    langfuse.start_as_current_observation(name="handle_question", as_type="span", input={"question": QUESTION}) as root,
    # v5 copies these onto every span started inside; trace input and output come from the root.
    propagate_attributes(
        trace_name="handle_question", user_id=USER_ID, session_id=SESSION_ID, tags=TAGS, metadata=METADATA
    ),
):
    with langfuse.start_as_current_observation(
        name="search_docs", as_type="retriever", input={"query": QUESTION}
    ) as retriever:
        retriever.update(output=DOCUMENTS)
    try:
        with langfuse.start_as_current_observation(name="calculator", as_type="tool", input={"expression": "2 + 2"}):
            raise ValueError(TOOL_ERROR)
    except ValueError:
        pass  # the application goes on without the tool
    with langfuse.start_as_current_observation(
        name="chat",
        as_type="generation",
        model=MODEL,
        input=MESSAGES,
        model_parameters=MODEL_PARAMETERS,
        metadata={"provider": PROVIDER},
    ) as chat:
        chat.update(output={"role": "assistant", "content": ANSWER}, usage_details=OPENAI_USAGE)
    root.update(output=ANSWER)
    trace_id = root.trace_id
langfuse.create_score(trace_id=trace_id, name=SCORE["name"], value=SCORE["value"], comment=SCORE["comment"])
langfuse.flush()
langfuse.shutdown()
report_id(trace_id)
