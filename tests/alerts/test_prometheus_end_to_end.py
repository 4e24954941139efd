"""One alert end to end: a real Prometheus scrapes a real Theodolite, a test-only rule fires on
the metrics derived from a trace, and a real Alertmanager delivers it to a local webhook."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from tests.support.server import TheodoliteServer, free_port
from tests.support.spans import llm_body, post
from theodolite.alerts.rules import alert_rules
from theodolite.cli.main import cli

DEADLINE_S = 90


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.server.payloads.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.server.arrived.set()
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    server.payloads, server.arrived = [], threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def start(command: list[str], log: Path, ready_url: str) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited:\n{log.read_text()}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a readiness endpoint with a deadline
    process.kill()
    raise RuntimeError(f"{command[0]} not ready:\n{log.read_text()}")


def test_a_rule_on_derived_metrics_reaches_a_webhook(tmp_path: Path, webhook: ThreadingHTTPServer) -> None:
    theodolite = TheodoliteServer(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path).start()
    processes = []
    try:
        am_port, prom_port = free_port(), free_port()
        (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump({
            "route": {"receiver": "hook", "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "hook", "webhook_configs": [
                {"url": f"http://127.0.0.1:{webhook.server_address[1]}/alerts"}]}],
        }))  # fmt: skip
        processes.append(start(
            ["prometheus-alertmanager", f"--config.file={tmp_path / 'alertmanager.yml'}",
             f"--storage.path={tmp_path / 'am'}", f"--web.listen-address=127.0.0.1:{am_port}",
             "--cluster.listen-address="],
            tmp_path / "alertmanager.log", f"http://127.0.0.1:{am_port}/-/ready"))  # fmt: skip
        (tmp_path / "test-rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "test", "rules": [{
            "alert": "TheodoliteTestGenerationSeen", "expr": 'sum by (project) (theodolite_generations_total) > 0',
            "labels": {"severity": "test"}, "annotations": {"summary": "a generation was committed"}}]}]}))  # fmt: skip
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(tmp_path / "test-rules.yml")],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
            "scrape_configs": [{"job_name": "theodolite", "static_configs": [
                {"targets": [f"127.0.0.1:{theodolite.port}"]}]}],
        }))  # fmt: skip
        processes.append(start(
            ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            tmp_path / "prometheus.log", f"http://127.0.0.1:{prom_port}/-/ready"))  # fmt: skip

        # Right after a (re)start no generation series exists, yet LLMNoActivity's condition
        # already holds for the known project: the real scrape carries theodolite_project_info.
        no_activity = next(rule.expr for rule in alert_rules() if rule.name == "LLMNoActivity")
        deadline, silent = time.monotonic() + DEADLINE_S, []
        while time.monotonic() < deadline and not silent:
            answer = httpx.get(f"http://127.0.0.1:{prom_port}/api/v1/query", params={"query": no_activity}, timeout=10)
            silent = [sample["metric"] for sample in answer.json()["data"]["result"]]
            time.sleep(0.2)  # polling Prometheus' query API with a deadline
        assert silent == [{"project": "test"}], (tmp_path / "prometheus.log").read_text()[-2000:]

        assert not webhook.arrived.is_set()
        post(theodolite, llm_body("gpt-4o-mini"))
        assert webhook.arrived.wait(DEADLINE_S), (tmp_path / "prometheus.log").read_text()[-2000:]
        [alert] = webhook.payloads[0]["alerts"]
        assert alert["status"] == "firing"
        assert alert["labels"] == {"alertname": "TheodoliteTestGenerationSeen", "project": "test", "severity": "test"}
        assert alert["annotations"] == {"summary": "a generation was committed"}

        # `theodolite doctor` sees the same chain: database, /metrics, Prometheus scraping it
        result = CliRunner().invoke(cli, ["doctor", "--database-url", theodolite.database_url,
                                          "--server-url", theodolite.base_url,
                                          "--prometheus-url", f"http://127.0.0.1:{prom_port}",
                                          "--grafana-url", f"http://127.0.0.1:{free_port()}"])  # fmt: skip
        lines = result.output.splitlines()
        assert any(line.startswith("✔ database") and "1 traces" in line for line in lines), result.output
        assert any(line.startswith("✔ /metrics") for line in lines), result.output
        assert any(line.startswith("✔ scrape") and "Prometheus scrapes Theodolite" in line for line in lines)
        assert any(line.startswith("✘ grafana") for line in lines) and "fix: check the URL" in result.output
        assert result.exit_code == 1  # Grafana is not there
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        theodolite.stop()
