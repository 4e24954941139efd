"""Import direction holds: checked by the import-linter contracts (the layers) in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sdk_import_does_not_pull_in_the_server() -> None:
    code = "import sys, theodolite; print([m for m in ('fastapi', 'sqlalchemy', 'uvicorn') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_evaluation_imports_the_standard_library_only() -> None:
    # the SDK and the server share it: its extras (jsonschema, rapidfuzz) load when first used
    heavy = ("fastapi", "sqlalchemy", "uvicorn", "pydantic", "jsonschema", "rapidfuzz", "theodolite.storage")
    code = f"import sys, theodolite.evaluation; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_decode_workers_do_not_import_the_database_layer() -> None:
    # Each decode worker process pays for what it imports, in start-up time and memory (~17 MB
    # for SQLAlchemy alone); they need the decoders, the model, the value codec and the pricing
    # engine only (genai-prices brings pydantic: ~12 MB, the price of pricing in the workers).
    code = (
        "import sys, theodolite.server.decoding; "
        "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'psycopg', 'uvicorn') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_modules_stay_small() -> None:
    big = [
        str(p.relative_to(ROOT)) for p in (ROOT / "theodolite").rglob("*.py") if len(p.read_text().splitlines()) > 800
    ]
    assert big == []


def test_ruff_lint_is_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [str(ruff), "check", "theodolite", "tests"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
