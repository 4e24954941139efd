"""`theodolite grafana export` into a directory, as the Grafana tests read it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from theodolite.cli.main import cli


def export(directory: Path, *args: str) -> Path:
    result = CliRunner().invoke(cli, ["grafana", "export", str(directory), *args])
    assert result.exit_code == 0, result.output
    return directory
