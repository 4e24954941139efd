"""/api/v1/members and /api/v1/keys: who has which role in the project, and its API keys.

Changes and the key list are for owners (and admins) only: a member or viewer gets 403, an API key
too (a key never mints keys). Any signed-in user with a role in the project may read its members
(the settings page shows the team to everyone, read-only to non-owners).
The project is chosen as for every /api/v1 route (`X-Theodolite-Project` or `?project=`).
"""

from __future__ import annotations

from datetime import datetime

from anyio import to_thread
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from theodolite.errors import NotFoundError
from theodolite.server.access import OwnedProject, TeamProject
from theodolite.server.accounts import get_user_by_login
from theodolite.server.routes.api import ERRORS, State
from theodolite.storage.engine import Database
from theodolite.storage.metadata.account_reads import list_members
from theodolite.storage.metadata.accounts import ROLES, change_membership_keeping_an_owner
from theodolite.storage.metadata.project_reads import list_keys, project_ids
from theodolite.storage.metadata.projects import create_key, revoke_key

router = APIRouter(prefix="/api/v1", tags=["members and keys"], responses=ERRORS)


class MemberOut(BaseModel):
    id: int
    email: str
    name: str
    role: str


class MemberList(BaseModel):
    data: list[MemberOut]


class RoleIn(BaseModel):
    role: str = Field(pattern="^(" + "|".join(ROLES) + ")$", description="owner, member or viewer")


class KeyOut(BaseModel):
    public_key: str
    display_secret: str = Field(description="the secret's first and last characters; the secret is never stored")
    note: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyList(BaseModel):
    data: list[KeyOut]


class KeyIn(BaseModel):
    note: str | None = Field(None, max_length=500)


class NewKeyOut(BaseModel):
    public_key: str
    secret_key: str = Field(description="shown in this answer only")


def _members(database: Database, project_id: int) -> list[dict]:
    members = list_members(database, project_id)
    return [{"id": m.user_id, "email": m.email, "name": m.name, "role": m.role} for m in members]


@router.get("/members", response_model=MemberList, summary="Who has a role in the project (signed-in users)")
async def members_list(state: State, access: TeamProject) -> dict:
    return {"data": await to_thread.run_sync(_members, state.database, access.project_id)}


@router.put("/members/{login}", response_model=MemberOut, summary="Give a user a role in the project (owners)")
async def members_set(state: State, access: OwnedProject, login: str, body: RoleIn) -> dict:
    def work() -> dict:
        user = get_user_by_login(state.database, login)
        change_membership_keeping_an_owner(state.database, access.project_id, user.id, body.role)
        return {"id": user.id, "email": user.email, "name": user.name, "role": body.role}

    return await to_thread.run_sync(work)


@router.delete("/members/{login}", status_code=204, response_class=Response, summary="Remove a user's role (owners)")
async def members_remove(state: State, access: OwnedProject, login: str) -> Response:
    def work() -> None:
        user = get_user_by_login(state.database, login)
        if not change_membership_keeping_an_owner(state.database, access.project_id, user.id, None):
            raise NotFoundError(f"{user.name} has no role in this project")

    await to_thread.run_sync(work)
    return Response(status_code=204)


@router.get("/keys", response_model=KeyList, summary="The project's API keys (owners)")
async def keys_list(state: State, access: OwnedProject) -> dict:
    keys = await to_thread.run_sync(lambda: list_keys(state.database, project_id=access.project_id))
    return {"data": [{"public_key": k.public_key, "display_secret": k.display_secret, "note": k.note,
                      "created_at": k.created_at, "revoked_at": k.revoked_at} for k in keys]}  # fmt: skip


@router.post("/keys", status_code=201, response_model=NewKeyOut, summary="Create an API key (owners)")
async def keys_create(state: State, access: OwnedProject, body: KeyIn) -> dict:
    def work() -> dict:
        name = {id_: name for name, id_ in project_ids(state.database).items()}[access.project_id]
        key = create_key(state.database, name, note=body.note)
        return {"public_key": key.public_key, "secret_key": key.secret_key}

    return await to_thread.run_sync(work)


@router.delete("/keys/{public_key}", status_code=204, response_class=Response, summary="Revoke an API key (owners)")
async def keys_revoke(state: State, access: OwnedProject, public_key: str) -> Response:
    await to_thread.run_sync(lambda: revoke_key(state.database, public_key, access.project_id))
    state.authenticator.forget_all()  # not after api_key_cache_s: at once (a CLI revoke waits for it)
    return Response(status_code=204)
