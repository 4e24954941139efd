"""The first start of a real server without THEODOLITE_INIT_ADMIN_*: an admin with a one-time password, printed once."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.accounts import login
from tests.support.server import TheodoliteServer


def test_first_start_prints_a_one_time_admin_password_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'theodolite.db'}"
    first = TheodoliteServer(url, tmp_path).start()
    try:
        found = re.search(r"user:\s+(\S+)\n\s+password:\s+(\S+)", first.log())
        assert found is not None, first.log()
        user, password = found.groups()
        assert user == "admin"
        signed = login(first, user, password)
        assert signed.status_code == 200
        assert signed.json()["user"] | {"id": 0} == {
            "id": 0, "email": "admin@localhost", "name": "admin", "is_admin": True, "must_change_password": True
        }  # fmt: skip
    finally:
        first.stop()
    again = TheodoliteServer(url, tmp_path).start()
    try:
        assert "password:" not in again.log()
        assert login(again, "admin", password).status_code == 200  # the same admin, not a new one
    finally:
        again.stop()
