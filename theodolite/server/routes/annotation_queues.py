"""/api/v1/annotation-queues: humans score traces, observations or sessions one at a time.

Queues, items, claims and reviews live in the metadata store (`storage/metadata/annotation_queues.py`);
the scores a reviewer gives are ordinary scores (source ANNOTATION, metadata {reviewer, queue})
committed through the ingestion pipeline as POST /api/v1/scores commits them, so /metrics and the
analytics API count them. A review is recorded after its scores are committed: the answer comes after
both. Score ids are derived from (queue, item, reviewer, name), so a retried submission replaces its
scores instead of adding more.

A queue's scores are its own configs or the project's score configs it names (the queue follows
them: while one is archived, reviews are refused with 409). Every review score also passes the
project's configs as POST /api/v1/scores does.

The reviewer is the signed-in user (their user name); an API key acts for a reviewer it names
(`?reviewer=`), as an integration reviewing on someone's behalf.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request, Response

from theodolite.errors import BadRequestError, ConflictError, NotFoundError, PayloadTooLargeError
from theodolite.evaluation import InvalidScore, ScoreConfig
from theodolite.model import Batch, Score, ScoreDataType
from theodolite.query.annotation_agreement import human_vs_sources, reviewer_pairs
from theodolite.query.pagination import decode_cursor, encode_cursor
from theodolite.server.access import (
    Access,
    ApiKey,
    Basic,
    Bearer,
    ProjectHeader,
    ProjectParam,
    chosen_name,
    resolve_access,
    role_for_method,
)
from theodolite.server.routes.annotation_queue_models import (
    MAX_ITEMS_PER_REQUEST,
    AddedOut,
    AgreementOut,
    ClaimOut,
    FromObservationsIn,
    FromTracesIn,
    ItemPage,
    ItemsIn,
    ProgressOut,
    QueueIn,
    QueueList,
    QueueOut,
    ReleaseOut,
    ReviewIn,
    ReviewOut,
)
from theodolite.server.routes.api import ERRORS, Derived, Project, State
from theodolite.server.routes.datasets import root_observation
from theodolite.server.score_config_book import fit_score
from theodolite.storage.metadata import annotation_queues as store
from theodolite.storage.rows import prepare_batch

router = APIRouter(
    prefix="/api/v1/annotation-queues",
    tags=["annotation queues"],
    responses={**ERRORS, **{code: ERRORS[400] for code in (409, 413)}},
)
SOURCE = "ANNOTATION"
_PAGE = 500  # traces (or observations) per read when filling a queue from a list's filters
_ALL_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_SOURCE_SCORES = 200_000


async def _access(request: Request, _bearer: Bearer, _api_key: ApiKey, _basic: Basic,
                  header: ProjectHeader = None, param: ProjectParam = None) -> Access:  # fmt: skip
    return await resolve_access(request, chosen_name(header, param), role_for_method(request.method))


Caller = Annotated[Access, Depends(_access)]
ReviewerParam = Annotated[
    str | None,
    Query(max_length=200, description="API keys: the reviewer acting (required); a signed-in user reviews as themself"),
]


def reviewer_of(access: Access, named: str | None) -> str:
    """Who reviews: the signed-in user, or the reviewer an API key names. Raises BadRequestError."""
    named = (named or "").strip() or None
    if access.user is not None:
        own = access.user.name or access.user.email
        if named is not None and named != own:
            raise BadRequestError(f"signed in as {own!r}: you review as yourself, not as {named!r}")
        return own
    if named is None:
        raise BadRequestError("an API key must name the reviewer it acts for: ?reviewer=NAME")
    return named


def _queue(info: store.QueueInfo) -> dict[str, Any]:
    return {key: getattr(info, key) for key in QueueOut.model_fields}


def _item(item: store.QueueItem) -> dict[str, Any]:
    return {
        "id": item.id, "kind": item.kind, "object_id": item.object_id, "trace_id": item.trace_id,
        "added_at": item.added_at, "done_count": item.done_count, "claim_expires_at": item.claim_expires_at,
    }  # fmt: skip


@router.post("", response_model=QueueOut, status_code=201, summary="Create a queue with its score configs")
def queues_create(state: State, project: Project, body: QueueIn) -> dict:
    configs = [config if isinstance(config, str) else config.model_dump() for config in body.score_configs]
    info = store.create_queue(state.database, project, body.name, configs, description=body.description,
                              reviews_per_item=body.reviews_per_item, kind=body.kind)  # fmt: skip
    return _queue(info)


@router.get("", response_model=QueueList, summary="The project's queues, by name, with their progress")
def queues_list(state: State, project: Project) -> dict:
    return {"data": [_queue(info) for info in store.list_queues(state.database, project)]}


@router.get("/{name}", response_model=QueueOut, summary="One queue")
def queues_get(state: State, project: Project, name: str) -> dict:
    return _queue(store.get_queue(state.database, project, name))


@router.delete("/{name}", status_code=204, summary="Delete a queue, its items and reviews (scores stay)")
def queues_delete(state: State, project: Project, name: str) -> Response:
    store.delete_queue(state.database, project, name)
    return Response(status_code=204)


@router.post("/{name}/items", response_model=AddedOut, summary="Add traces, observations or sessions by id")
def queues_add_items(state: State, project: Project, name: str, body: ItemsIn) -> dict:
    if len(body.items) > MAX_ITEMS_PER_REQUEST:
        raise PayloadTooLargeError(f"{len(body.items)} items in one request; at most {MAX_ITEMS_PER_REQUEST}")
    items = [store.NewItem(item.kind, item.id, item.trace_id) for item in body.items]
    added = store.add_items(state.database, project, name, items)
    return {"added": added.added, "existing": added.existing, "item_count": added.item_count}


def sampled(object_id: str, rate: float) -> bool:
    """Whether the id falls in the sample: a hash of the id against the rate, so the same ids are
    chosen on every run (and a higher rate chooses a superset)."""
    if rate >= 1:
        return True
    digest = hashlib.sha256(object_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


@router.post(
    "/{name}/items/from-traces",
    response_model=AddedOut,
    summary="Add the traces (or their sessions) the trace list's filters match, sampled by a hash of the id",
)
def queues_add_from_traces(state: State, project: Project, pending: Derived, name: str, body: FromTracesIn) -> dict:
    queue = store.get_queue(state.database, project, name)  # an unknown queue is a 404 before reading traces
    kind = body.kind or queue.kind or "trace"
    if kind not in ("trace", "session"):
        raise BadRequestError(
            f"queue {name!r} holds observations: add them by id (POST .../items) or by the observation list's "
            "filters (POST .../items/from-observations), not by trace"
        )
    filters = body.filters.to_filter()

    def item_of(trace: dict[str, Any]) -> store.NewItem | None:
        object_id = trace["id"] if kind == "trace" else trace.get("session_id")
        return store.NewItem(kind, object_id, trace["id"] if kind == "trace" else None) if object_id else None

    chosen, scanned = _sample(lambda cursor: state.queries.list_traces(project, filters, limit=_PAGE, cursor=cursor),
                              item_of, body.sample_rate, body.max_items)  # fmt: skip
    return _add_chosen(state, project, name, chosen, scanned) | {"pending_spans": pending}


@router.post(
    "/{name}/items/from-observations",
    response_model=AddedOut,
    summary="Add the observations the observation list's filters match, sampled by a hash of the id",
)
def queues_add_from_observations(state: State, project: Project, name: str, body: FromObservationsIn) -> dict:
    queue = store.get_queue(state.database, project, name)  # an unknown queue is a 404 before reading observations
    if queue.kind not in (None, "observation"):
        raise BadRequestError(
            f"queue {name!r} holds {queue.kind}s only: fill it from the trace list's filters "
            "(POST .../items/from-traces), not from observations"
        )
    filters = body.filters.to_filter()
    # Keyed and sampled by the observation id alone, as POST .../items keys an observation: one added
    # both ways is one item, and the sample chooses the same ones on every run.
    chosen, scanned = _sample(
        lambda cursor: state.queries.list_observations(project, filters, limit=_PAGE, cursor=cursor),
        lambda observation: store.NewItem("observation", observation["id"], observation["trace_id"]),
        body.sample_rate, body.max_items,
    )  # fmt: skip
    return _add_chosen(state, project, name, chosen, scanned)


def _sample(
    read_page: Callable[[Any], tuple[list[dict[str, Any]], Any]],
    item_of: Callable[[dict[str, Any]], store.NewItem | None],
    rate: float,
    max_items: int,
) -> tuple[list[store.NewItem], int]:
    """Page through a list (`read_page(cursor)` -> rows, the next cursor) and choose the rows whose
    item's object id the sample takes, each object once, at most `max_items`: (items, rows read)."""
    chosen: dict[str, store.NewItem] = {}
    scanned, cursor = 0, None
    while len(chosen) < max_items:
        page, cursor = read_page(cursor)
        for row in page:
            scanned += 1
            item = item_of(row)
            if item is None or item.object_id in chosen or not sampled(item.object_id, rate):
                continue
            chosen[item.object_id] = item
            if len(chosen) >= max_items:
                break
        if cursor is None:
            break
    return list(chosen.values()), scanned


def _add_chosen(state: Any, project: int, name: str, chosen: list[store.NewItem], scanned: int) -> dict[str, Any]:
    if not chosen:
        info = store.get_queue(state.database, project, name)
        return {"added": 0, "existing": 0, "item_count": info.item_count, "scanned": scanned}
    added = store.add_items(state.database, project, name, chosen)
    return {"added": added.added, "existing": added.existing, "item_count": added.item_count, "scanned": scanned}


@router.get("/{name}/items", response_model=ItemPage, summary="The queue's items in the order they were added")
def queues_items(
    state: State,
    project: Project,
    name: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict:
    after = None
    if cursor is not None:
        (after,) = decode_cursor(cursor, 1)
        if not isinstance(after, int):
            raise BadRequestError("cursor is not one this server issued")
    items = store.list_items(state.database, project, name, limit=limit + 1, after=after)
    more = len(items) > limit
    items = items[:limit]
    return {"data": [_item(item) for item in items], "next_cursor": encode_cursor(items[-1].id) if more else None}


def item_content(state: Any, project: int, item: store.QueueItem) -> dict[str, Any]:
    """What a reviewer looks at. An object that is not (or no longer) in the trace store says so
    instead of failing the claim: the reviewer can skip it."""
    try:
        if item.kind == "trace":
            trace = state.queries.get_trace(project, item.object_id)
            root = root_observation(trace) or {}
            summary = {key: trace.get(key) for key in ("name", "timestamp", "user_id", "session_id")}
            return summary | {"input": root.get("input"), "output": root.get("output")}
        if item.kind == "observation":
            if not item.trace_id:
                return {"error": "the item names no trace_id: its observation cannot be read"}
            found = state.queries.observation_detail(project, item.trace_id, item.object_id)
            return {key: found.get(key) for key in ("name", "type", "model", "start_time", "input", "output")}
        session = state.queries.get_session(project, item.object_id, limit=50, cursor=None)
        turns = [{key: turn.get(key) for key in ("trace_id", "timestamp", "name", "input", "output")}
                 for turn in session["turns"]]  # fmt: skip
        return {"turns": turns, "more_turns": session.get("next_cursor") is not None}
    except NotFoundError as exc:
        return {"error": str(exc)}


@router.post("/{name}/claim", response_model=ClaimOut, summary="Claim the next item to review (null when none is left)")
def queues_claim(state: State, caller: Caller, name: str, reviewer: ReviewerParam = None) -> dict:
    who = reviewer_of(caller, reviewer)
    project = caller.project_id
    item = store.claim_next(state.database, project, name, who, lease_s=state.settings.annotation_lease_s)
    left = store.left_for(state.database, project, name, who)
    if item is None:
        return {"reviewer": who, "item": None, "content": None, "left_for_reviewer": left}
    return {"reviewer": who, "item": _item(item), "content": item_content(state, project, item),
            "left_for_reviewer": left}  # fmt: skip


def _validated(configs: list[ScoreConfig], values: dict[str, Any]) -> dict[str, Any]:
    by_name = {config.name: config for config in configs}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise BadRequestError(f"the queue has no score config {unknown[0]!r} (its scores: {', '.join(by_name)})")
    missing = [config.name for config in configs if config.name not in values]
    if missing:
        raise BadRequestError(f"score {missing[0]!r} is missing: a review gives every score of the queue")
    try:
        return {config.name: config.validate(values[config.name]) for config in configs}
    except InvalidScore as exc:
        raise BadRequestError(str(exc)) from exc


def score_id(queue_id: int, item_id: int, reviewer: str, name: str) -> str:
    return hashlib.sha256(f"{queue_id}\x00{item_id}\x00{reviewer}\x00{name}".encode()).hexdigest()[:32]


def review_scores(queue: store.QueueInfo, item: store.QueueItem, reviewer: str, values: dict[str, Any],
                  configs: list[ScoreConfig], comment: str | None) -> list[Score]:  # fmt: skip
    now = datetime.now(UTC)
    scores = []
    for config in configs:
        value = values[config.name]
        kind = config.data_type
        number = float(value) if kind is not ScoreDataType.CATEGORICAL else None
        text = value if kind is ScoreDataType.CATEGORICAL else None
        scores.append(
            Score(
                id=score_id(queue.id, item.id, reviewer, config.name),
                trace_id=item.trace_id if item.kind != "session" else None,
                observation_id=item.object_id if item.kind == "observation" else None,
                session_id=item.object_id if item.kind == "session" else None,
                name=config.name,
                timestamp=now,
                value=number,
                string_value=text,
                data_type=kind,
                comment=comment,
                source=SOURCE,
                metadata={"reviewer": reviewer, "queue": queue.name},
            )  # fmt: skip
        )
    return scores


@router.post(
    "/{name}/items/{item_id}/review",
    response_model=ReviewOut,
    summary="Submit the reviewer's scores of an item (answered after they are committed)",
)
async def queues_review(
    state: State, caller: Caller, name: str, item_id: int, body: ReviewIn, reviewer: ReviewerParam = None
) -> dict:
    who = reviewer_of(caller, reviewer)
    project = caller.project_id
    queue, item = await to_thread.run_sync(lambda: store.check_reviewable(state.database, project, name, item_id, who))
    refusal = queue.refusal()
    if refusal is not None:
        raise ConflictError(refusal)
    configs = queue.configs()
    values = _validated(configs, body.scores)
    batch = Batch(scores=review_scores(queue, item, who, values, configs, body.comment))
    # As every score the server takes: the project's config of each name checks it and completes it
    # (a category's number); for a queue's own config, the project's config of that name if one came later.
    project_configs = await state.score_configs.for_project(project)
    if project_configs:
        try:
            for score in batch.scores:
                fit_score(project_configs, score)
        except InvalidScore as exc:
            raise BadRequestError(str(exc)) from None
    await state.pipeline.submit(prepare_batch(project, batch, state.codec, datetime.now(UTC)))
    done = await to_thread.run_sync(
        lambda: store.record_review(state.database, project, name, item_id, who, "done", values)
    )
    left = await to_thread.run_sync(store.left_for, state.database, project, name, who)
    return {"reviewer": who, "item": _item(done), "status": "done", "left_for_reviewer": left}


@router.post("/{name}/items/{item_id}/skip", response_model=ReviewOut, summary="Skip an item (not offered again)")
def queues_skip(state: State, caller: Caller, name: str, item_id: int, reviewer: ReviewerParam = None) -> dict:
    who = reviewer_of(caller, reviewer)
    item = store.record_review(state.database, caller.project_id, name, item_id, who, "skipped")
    left = store.left_for(state.database, caller.project_id, name, who)
    return {"reviewer": who, "item": _item(item), "status": "skipped", "left_for_reviewer": left}


@router.post("/{name}/items/{item_id}/release", response_model=ReleaseOut, summary="Give up the claim on an item")
def queues_release(state: State, caller: Caller, name: str, item_id: int, reviewer: ReviewerParam = None) -> dict:
    who = reviewer_of(caller, reviewer)
    return {"released": store.release(state.database, caller.project_id, name, item_id, who)}


@router.get("/{name}/progress", response_model=ProgressOut, summary="Items done and remaining; per reviewer counts")
def queues_progress(state: State, caller: Caller, name: str, reviewer: ReviewerParam = None) -> dict:
    progress = store.progress(state.database, caller.project_id, name)
    result: dict[str, Any] = {"items": progress.items, "done": progress.done, "remaining": progress.remaining,
                              "claimed": progress.claimed, "reviewers": progress.reviewers, "me": None}  # fmt: skip
    who = None
    if caller.user is not None or (reviewer or "").strip():
        who = reviewer_of(caller, reviewer)
    if who is not None:
        mine = next((entry for entry in progress.reviewers if entry["reviewer"] == who), None) or {}
        left = store.left_for(state.database, caller.project_id, name, who)
        result["me"] = {"reviewer": who, "done": mine.get("done", 0), "skipped": mine.get("skipped", 0), "left": left}
    return result


def _label(data_type: str, value: float | None, text: str | None) -> Any:
    if data_type == ScoreDataType.CATEGORICAL.value:
        return text
    if data_type == ScoreDataType.BOOLEAN.value:
        return None if value is None else bool(value)
    return value


def _object_of(kind: str, row: dict[str, Any]) -> str | None:
    """The object a stored score is about, for a queue item of `kind`."""
    if kind == "observation":
        return row.get("observation_id")
    if kind == "session":
        return row.get("session") if not row.get("trace_id") else None
    return row.get("trace_id") if not row.get("observation_id") else None


@router.get(
    "/{name}/agreement",
    response_model=AgreementOut,
    summary="Cohen's kappa on one score: between reviewers, and between reviewers and other score sources",
)
def queues_agreement(
    state: State,
    project: Project,
    name: str,
    score: Annotated[str, Query(min_length=1, description="a score config of the queue")],
    weights: Annotated[
        str | None, Query(pattern="^(linear|quadratic)$", description="weighted kappa for ordinal scales")
    ] = None,
) -> dict:
    queue, reviews = store.done_reviews(state.database, project, name)
    config = next((c for c in queue.configs() if c.name == score), None)
    if config is None:
        names = ", ".join(c.name for c in queue.configs())
        raise BadRequestError(f"the queue has no score config {score!r} (its scores: {names})")
    humans: dict[str, dict[tuple[str, str], Any]] = defaultdict(dict)
    kinds = set()
    for review in reviews:
        if score in review.scores:
            humans[review.reviewer][(review.kind, review.object_id)] = review.scores[score]
            kinds.add(review.kind)
    sources: dict[str, dict[tuple[str, str], Any]] = defaultdict(dict)
    objects = {key for labels in humans.values() for key in labels}
    if objects:
        until = datetime.now(UTC) + timedelta(days=1)
        rows = state.queries.score_rows(project, _ALL_TIME, until, {"name": (score,)}, _MAX_SOURCE_SCORES)
        for row in reversed(rows):  # oldest first: a later score of one source replaces an earlier one
            if row["source"] == SOURCE:
                continue
            for kind in kinds:
                object_id = _object_of(kind, row)
                if object_id is not None and (kind, object_id) in objects:
                    sources[row["source"]][(kind, object_id)] = _label(row["data_type"], row["value"],
                                                                       row["string_value"])  # fmt: skip
    categories = list(config.categories) if weights and config.categories else None
    if categories is not None:  # a source's label outside the scale cannot be weighted: left out
        sources = defaultdict(dict, {source: {key: label for key, label in labels.items() if label in categories}
                                     for source, labels in sources.items()})  # fmt: skip
    try:
        pairs = reviewer_pairs(humans, weights=weights, categories=categories)
        versus = human_vs_sources(humans, sources, weights=weights, categories=categories)
    except ValueError as exc:
        raise BadRequestError(f"cannot compute kappa for {score!r}: {exc}") from exc
    return {"score": score, "weights": weights, "reviewers": pairs, "sources": versus}
