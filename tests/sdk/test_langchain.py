"""The LangChain callback handler on a real chain with langchain-openai's ChatOpenAI, whose HTTP
is answered by the fake provider, exported to a real server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

import theodolite
from tests.sdk.conftest import fetch_trace, walk
from tests.support.fake_provider import ANSWER, FakeProvider
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.integrations.langchain import TheodoliteCallbackHandler


class Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: object) -> list[Document]:
        return [Document(page_content=f"about {query}", metadata={"id": 1})]


@tool
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


def test_a_chain_becomes_one_nested_trace(sdk_server: TheodoliteServer, provider: FakeProvider) -> None:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1)
    model = ChatOpenAI(model="gpt-4o-mini", temperature=0.2, base_url=f"{provider.url}/v1", api_key="sk-fake",
                       max_retries=0)  # fmt: skip
    prompt = ChatPromptTemplate.from_messages([("system", "You are helpful."), ("user", "{question} {context}")])
    retrieve = Docs()
    chain = (
        RunnableLambda(lambda q: {"question": q, "context": retrieve.invoke(q)[0].page_content})
        | prompt | model | StrOutputParser()
    )  # fmt: skip
    handler = TheodoliteCallbackHandler(user_id="u1", session_id="s1", tags=["lc"])
    with theodolite.span("request") as root:
        answer = chain.invoke("hi", config={"callbacks": [handler]})
        count = word_count.invoke({"text": answer}, config={"callbacks": [handler]})
    assert (answer, count) == (ANSWER, 5)
    assert theodolite.flush(10)
    trace = fetch_trace(sdk_server, root.trace_id)
    assert (trace["user_id"], trace["session_id"], trace["tags"]) == ("u1", "s1", ["lc"])
    [request] = trace["observations"]
    nodes = list(walk(request["children"]))
    kinds = {node["type"] for node in nodes}
    assert {"chain", "generation", "tool"} <= kinds
    [llm] = [node for node in nodes if node["type"] == "generation"]
    assert (llm["model"], llm["request_model"], llm["provider"]) == ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "openai")
    assert (llm["prompt_tokens"], llm["completion_tokens"], llm["cache_read_tokens"]) == (12, 5, 2)
    assert Decimal(str(llm["calculated_total_cost"])) == Decimal("0.00000465")
    assert llm["input"][0] == {"role": "system", "content": "You are helpful."}
    assert llm["output"] == {"role": "assistant", "content": ANSWER}
    assert llm["model_parameters"]["temperature"] == 0.2
    [counter] = [node for node in nodes if node["type"] == "tool"]
    assert (counter["name"], counter["output"]) == ("word_count", 5)
    # the chain's root run hangs under the Theodolite span; the model under the chain
    chain_root = next(node for node in request["children"] if node["type"] == "chain")
    assert llm["id"] in {node["id"] for node in walk(chain_root["children"])}
    theodolite.shutdown(5)
