"""`pip install theodolite` (no extras) into a clean venv gives a working SDK and nothing of the server."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from tests.sdk.conftest import fetch_trace
from tests.support.server import SECRET_KEY, TheodoliteServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys, theodolite
heavy = [m for m in ("fastapi", "sqlalchemy", "uvicorn", "pydantic", "genai_prices", "starlette") if m in sys.modules]
assert not heavy, heavy
theodolite.configure(endpoint=sys.argv[1], api_key=sys.argv[2], strict=True)

@theodolite.observe(as_type="tool")
def add(a, b):
    return a + b

with theodolite.span("bare") as root:
    add(2, 3)
assert theodolite.flush(10)

# the in-process metrics, as an application calls them; no price table in a bare install: unpriced
from theodolite import track_http_request, track_llm_call
track_llm_call(model="gpt-4o", feature="chat", prompt_tokens=1000, completion_tokens=500, duration=2.5,
               status="success", trace=False)
track_http_request(method="POST", endpoint="/chat", status=200, duration=0.5)
from prometheus_client import generate_latest
from theodolite.metrics import get_metrics
text = generate_latest(get_metrics().registry).decode()
assert 'app_llm_requests_total{feature="chat",model="gpt-4o"' in text and 'status="ok"' in text, text
assert "app_llm_requests_unpriced_total{" in text and "app_http_requests_total{" in text, text
heavy = [m for m in ("fastapi", "sqlalchemy", "uvicorn", "pydantic", "genai_prices", "starlette") if m in sys.modules]
assert not heavy, heavy

# evaluation needs no extra: without rapidfuzz, the pure-Python similarity gives the same number
from theodolite.evaluation import ExactMatch, StringSimilarity, custom
assert ExactMatch(strip=True)(" a ", "a").value is True
assert abs(StringSimilarity()("kitten", "sitting").value - 4 / 7) < 1e-12
assert custom(lambda output: 1 / 0)("x").error == "ZeroDivisionError: division by zero"
assert "rapidfuzz" not in sys.modules and "jsonschema" not in sys.modules
print(root.trace_id)
"""


def test_the_bare_sdk_traces_a_call(tmp_path: Path, sdk_server: TheodoliteServer) -> None:
    env_dir = tmp_path / "bare"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True
    ).stdout
    assert "SQLAlchemy" not in listed and "fastapi" not in listed
    run = subprocess.run([str(python), "-c", SCRIPT, sdk_server.base_url, SECRET_KEY], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    trace = fetch_trace(sdk_server, run.stdout.strip())
    [root] = trace["observations"]
    assert root["name"] == "bare" and [c["input"] for c in root["children"]] == [{"a": 2, "b": 3}]
    assert sys.executable != str(python)
