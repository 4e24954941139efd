"""`theodolite experiments run / list / compare` as a user types them, against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.experiments import new_dataset
from tests.support.server import SECRET_KEY, TheodoliteServer

TASK = """
from theodolite.evaluation import ExactMatch, custom

metadata = {"model": "MODEL"}
confidence = custom(lambda output: "sure" if output.startswith("answer") else "unsure", name="confidence")
evaluators = [ExactMatch(name="correct"), confidence]

def task(input):
    n = int(input["question"].split()[-1])
    if n == 7:
        raise ValueError("seven is unlucky")
    return f"answer {n}" if n % RIGHT == 0 else "?"
"""


def cli(server: TheodoliteServer, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "theodolite", "experiments", *args, "--endpoint", server.base_url,
         "--api-key", SECRET_KEY],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result


def test_run_list_and_compare_from_the_command_line(sdk_server: TheodoliteServer, tmp_path: Path) -> None:
    dataset = new_dataset(sdk_server, items=20)
    ids = []
    for model, right in (("every-2nd", 2), ("every-1st", 1)):
        path = tmp_path / f"{model}.py"
        path.write_text(TASK.replace("MODEL", model).replace("RIGHT", str(right)))
        out = cli(sdk_server, "run", str(path), "--dataset", dataset, "--name", f"{dataset}-{model}",
                  "--max-concurrency", "2").stdout  # fmt: skip
        assert f"dataset '{dataset}' version 1, 20 runs, 1 failed" in out
        assert "q007: ValueError: seven is unlucky" in out
        ids.append(out.split("experiment ", 1)[1].split()[0])
    first = cli(sdk_server, "run", str(tmp_path / "every-2nd.py"), "--dataset", dataset).stdout
    assert "correct" in first and "0.526" in first  # 10 even items right of the 19 that ran

    listed = cli(sdk_server, "list", "--dataset", dataset).stdout
    assert f"{dataset}-every-1st" in listed and f"{dataset}-every-2nd" in listed and "finished" in listed

    compared = cli(sdk_server, "compare", *ids).stdout
    assert "correct" in compared and f"minus baseline {ids[0]}" in compared
    line = next(text for text in compared.splitlines() if text.strip().startswith("correct"))
    assert "+0.474" in line and "W/L/T 9/0/10" in line and "*" in line  # 9 odd items (not 7) now right
    # a categorical score: its runs per category, then the items that agree (no config: no wins)
    assert "sure 10 (53%), unsure 9 (47%)" in compared and "sure 19 (100%), unsure 0 (0%)" in compared
    line = next(text for text in compared.splitlines() if text.split()[:2] == ["confidence", "agree"])
    assert line.split() == ["confidence", "agree", "10/19", "(53%)"]


def test_mistakes_are_one_line_messages(sdk_server: TheodoliteServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty.py"
    empty.write_text("evaluators = []\n")
    missing = cli(sdk_server, "run", str(empty), "--dataset", "x", ok=False)
    assert "defines no `task`" in missing.stderr and "Traceback" not in missing.stderr
    task = tmp_path / "task.py"
    task.write_text("def task(input):\n    return input\n")
    unknown = cli(sdk_server, "run", str(task), "--dataset", "no-such-dataset", ok=False)
    assert "HTTP 404: no dataset named 'no-such-dataset'" in unknown.stderr
    one = cli(sdk_server, "compare", "1", ok=False)
    assert "two experiment ids" in one.stderr
