"""/api/v1/admin/users: the web UI's user management, for admins (what `theodolite users` does).

Signed-in admins only: anyone else gets 403, an API key too (keys belong to a project; users do
not). Not to be confused with /api/v1/users, the end users seen in a project's traces.
"""

from __future__ import annotations

from datetime import datetime

from anyio import to_thread
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from theodolite.errors import ForbiddenError
from theodolite.server.access import has_api_key, signed_in
from theodolite.server.accounts import create_user, make_admin, remove_user, reset_password
from theodolite.server.routes.api import ERRORS, State
from theodolite.server.routes.auth import ProjectRole
from theodolite.server.sessions import SAFE_METHODS, SignedIn, check_csrf
from theodolite.storage.engine import Database
from theodolite.storage.metadata.account_reads import UserRecord, list_memberships, list_users


async def admin_session(request: Request) -> SignedIn:
    """The signed-in admin. Raises AuthenticationError (401), ForbiddenError (403)."""
    if has_api_key(request):
        raise ForbiddenError("users are managed by a signed-in admin, not with an API key")
    session = await signed_in(request)
    if request.method not in SAFE_METHODS:
        check_csrf(request, session)
    if session.user.must_change_password:
        raise ForbiddenError("change the password you were given first (POST /api/v1/auth/password)")
    if not session.user.is_admin:
        raise ForbiddenError("only admins manage users")
    return session


router = APIRouter(
    prefix="/api/v1/admin/users", tags=["admin"], responses=ERRORS, dependencies=[Depends(admin_session)]
)


class AccountOut(BaseModel):
    id: int
    email: str
    name: str
    is_admin: bool
    must_change_password: bool
    created_at: datetime
    projects: list[ProjectRole] = Field(description="the projects the user has a role in (admins see all anyway)")


class AccountList(BaseModel):
    data: list[AccountOut]


class AccountIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str | None = Field(None, max_length=64, description="default: the email's local part")
    is_admin: bool = False
    password: str | None = Field(
        None, max_length=1024, description="default: a generated one-time password, returned in this answer only"
    )


class AccountChange(BaseModel):
    is_admin: bool


class NewAccountOut(BaseModel):
    user: AccountOut
    password: str | None = Field(description="the generated one-time password (shown this once); null if given")


class PasswordOut(BaseModel):
    password: str = Field(description="a one-time password, shown this once; the user chooses theirs at sign-in")


def _account(database: Database, user: UserRecord) -> dict:
    return {
        "id": user.id, "email": user.email, "name": user.name, "is_admin": user.is_admin,
        "must_change_password": user.must_change_password, "created_at": user.created_at,
        "projects": [{"name": m.project_name, "role": m.role} for m in list_memberships(database, user.id)],
    }  # fmt: skip


@router.get("", response_model=AccountList, summary="Every user and their roles (admins)")
async def accounts_list(state: State) -> dict:
    def work() -> dict:
        return {"data": [_account(state.database, user) for user in list_users(state.database)]}

    return await to_thread.run_sync(work)


@router.post("", status_code=201, response_model=NewAccountOut, summary="Create a user (admins)")
async def accounts_create(state: State, body: AccountIn) -> dict:
    def work() -> dict:
        created = create_user(state.database, body.email, name=body.name, password=body.password,
                              is_admin=body.is_admin)  # fmt: skip
        return {"user": _account(state.database, created.user), "password": created.password if created.generated
                else None}  # fmt: skip

    return await state.sessions.hashing(work)


@router.post("/{login}/password", response_model=PasswordOut, summary="Reset a password; ends their sessions")
async def accounts_reset_password(state: State, login: str) -> dict:
    reset = await state.sessions.hashing(reset_password, state.database, login)
    return {"password": reset.password}


@router.patch("/{login}", response_model=AccountOut, summary="Make a user admin or not (admins)")
async def accounts_change(state: State, login: str, body: AccountChange) -> dict:
    def work() -> dict:
        return _account(state.database, make_admin(state.database, login, body.is_admin))

    return await to_thread.run_sync(work)


@router.delete("/{login}", status_code=204, response_class=Response, summary="Delete a user (admins)")
async def accounts_delete(state: State, login: str) -> Response:
    await to_thread.run_sync(remove_user, state.database, login)
    return Response(status_code=204)
