"""Who may do what in which project, for every /api/v1 route: an API key or a signed-in session.

- An API key acts in its own project only, as a member (read and write data; not keys or
  members), exactly as before sessions existed. It needs no CSRF token: a browser never sends
  it on its own.
- A session acts in the project named by `X-Theodolite-Project` or `?project=` (default: the
  user's first project by name), with the user's role there; admins act as owners everywhere.
  A project the user has no role in answers 404 exactly as a project that does not exist, so
  that nobody learns which projects exist. State-changing requests need the CSRF token.
- The role a request needs follows from its method (reads: viewer; writes: member), so a new
  write route cannot forget to check it; routes that manage keys and members ask for owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Header, Query, Security
from fastapi.security import HTTPAuthorizationCredentials
from starlette.requests import Request

from theodolite.errors import AuthenticationError, BadRequestError, ForbiddenError, NotFoundError
from theodolite.server.sessions import SAFE_METHODS, SESSION_COOKIE, SignedIn, check_csrf
from theodolite.server.state import API_KEY, BEARER, LANGFUSE_BASIC, AppState, authenticate
from theodolite.storage.metadata.account_reads import Membership, UserRecord, list_memberships
from theodolite.storage.metadata.accounts import role_rank
from theodolite.storage.metadata.project_reads import project_ids

KEY_ROLE = "member"
PROJECT_HEADER = "X-Theodolite-Project"


@dataclass(frozen=True, slots=True)
class Access:
    project_id: int
    role: str
    user: UserRecord | None  # None: an API key


def has_api_key(request: Request) -> bool:
    return bool(request.headers.get("authorization", "").strip() or request.headers.get("x-api-key", "").strip())


def role_for_method(method: str) -> str:
    return "viewer" if method in SAFE_METHODS else "member"


def no_such_project(name: str) -> NotFoundError:
    # One message for "does not exist" and "exists, but not for you".
    return NotFoundError(f"no project named {name!r} that you can access")


async def signed_in(request: Request) -> SignedIn:
    """The session of the request's cookie. Raises AuthenticationError (401)."""
    state: AppState = request.app.state.theodolite
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationError(
            "sign in (POST /api/v1/auth/login), or send an API key: 'Authorization: Bearer <secret>', "
            "'x-api-key: <secret>' or Basic <public>:<secret>"
        )
    return await to_thread.run_sync(state.sessions.resolve, token)


def choose_project(memberships: list[Membership], name: str | None) -> Membership:
    if name is None:
        if not memberships:
            raise NotFoundError("you have no role in any project yet: ask a project owner or an admin")
        return memberships[0]
    for membership in memberships:
        if membership.project_name == name:
            return membership
    raise no_such_project(name)


async def resolve_access(request: Request, project_name: str | None, needed: str) -> Access:
    """Authenticate the request and check that it may act with role `needed` in the chosen project.

    Raises AuthenticationError (401), ForbiddenError (403: CSRF, role), NotFoundError (404: project).
    """
    state: AppState = request.app.state.theodolite
    if has_api_key(request):
        project_id = await authenticate(request)
        if project_name is not None:
            ids = await to_thread.run_sync(project_ids, state.database)
            if ids.get(project_name) != project_id:
                raise no_such_project(project_name)
        if role_rank(KEY_ROLE) < role_rank(needed):
            raise ForbiddenError("an API key cannot manage keys or members: sign in as an owner of the project")
        return Access(project_id, KEY_ROLE, None)
    session = await signed_in(request)
    if request.method not in SAFE_METHODS:
        check_csrf(request, session)
    user = session.user
    if user.must_change_password:
        raise ForbiddenError("change the password you were given first (POST /api/v1/auth/password)")
    memberships = await to_thread.run_sync(list_memberships, state.database, None if user.is_admin else user.id)
    chosen = choose_project(memberships, project_name)
    if role_rank(chosen.role) < role_rank(needed):
        raise ForbiddenError(f"your role in project {chosen.project_name!r} is {chosen.role}; this needs {needed}")
    return Access(chosen.project_id, chosen.role, user)


ProjectHeader = Annotated[
    str | None,
    Header(
        alias=PROJECT_HEADER,
        description="signed-in sessions: the project to act in (default: your first by name); an API key's own only",
    ),
]
ProjectParam = Annotated[str | None, Query(alias="project", description="the same as the X-Theodolite-Project header")]
# The three ways to send a key, declared so that the OpenAPI schema lists them and /docs' Authorize
# button fills them; `resolve_access` reads the headers itself (and a session cookie besides).
Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
ApiKey = Annotated[str | None, Security(API_KEY)]
Basic = Annotated[None, Security(LANGFUSE_BASIC)]


def chosen_name(header: str | None, param: str | None) -> str | None:
    header, param = (header or "").strip() or None, (param or "").strip() or None
    if header is not None and param is not None and header != param:
        raise BadRequestError(f"{PROJECT_HEADER} ({header!r}) and ?project= ({param!r}) name different projects")
    return header or param


async def project_access(request: Request, _bearer: Bearer, _api_key: ApiKey, _basic: Basic,
                         header: ProjectHeader = None, param: ProjectParam = None) -> int:  # fmt: skip
    """The project id a data route acts in; reads need viewer, writes member."""
    access = await resolve_access(request, chosen_name(header, param), role_for_method(request.method))
    return access.project_id


async def owner_access(request: Request, _bearer: Bearer, _api_key: ApiKey, _basic: Basic,
                       header: ProjectHeader = None, param: ProjectParam = None) -> Access:  # fmt: skip
    """For routes that manage keys and members: owner (or admin) only."""
    return await resolve_access(request, chosen_name(header, param), "owner")


async def team_access(request: Request, _bearer: Bearer, _api_key: ApiKey, _basic: Basic,
                      header: ProjectHeader = None, param: ProjectParam = None) -> Access:  # fmt: skip
    """For reading who has a role in the project: any signed-in user with a role there (the settings
    page shows the team, read-only, to viewers and members). Not an API key: a key reads data, not
    the users' emails."""
    access = await resolve_access(request, chosen_name(header, param), role_for_method(request.method))
    if access.user is None:  # after the project check: another project's key gets its 404 like everywhere
        raise ForbiddenError("an API key cannot list the project's members: sign in")
    return access


Project = Annotated[int, Depends(project_access)]
OwnedProject = Annotated[Access, Depends(owner_access)]
TeamProject = Annotated[Access, Depends(team_access)]
