"""How a mapper's request becomes an audited edit applied to the live map: the revision it is
made against (``If-Match``), the id in its path, storage refusals as HTTP errors, and the commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from navigator import api
from navigator.keys import MAP, MAP_SYNC, STORAGE
from navigator.storage import (
    DB_INT_MAX,
    EditConflict,
    InvalidEdit,
    MapChange,
    NotFound,
    StaleRevision,
    StorageError,
)


def storage_error(err: StorageError) -> api.ApiError:
    """Storage refusals as HTTP errors (404/409/412/422) that name the field when there is one."""
    if isinstance(err, InvalidEdit):
        return api.ApiError(422, err.code, str(err), field=err.field)
    if isinstance(err, NotFound | StaleRevision | EditConflict):
        return api.ApiError(err.status, err.code, str(err))
    return api.ApiError(422, "invalid_edit", str(err))


def if_match(request: web.Request, required: bool) -> int | None:
    """The revision a client edits against, from ``If-Match: 3`` or ``If-Match: "3"``."""
    raw = request.headers.get("If-Match")
    if raw is None:
        if required:
            raise api.ApiError(
                428, "revision_required", "send If-Match with the revision you are editing"
            )
        return None
    try:
        return int(raw.strip().strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        raise api.ApiError(400, "invalid_if_match", "If-Match must be a revision number") from None


def entity_id(request: web.Request) -> int:
    try:
        value = int(request.match_info["id"])
    except ValueError:
        raise api.ApiError(404, "not_found", "ids are whole numbers") from None
    if not -DB_INT_MAX <= value <= DB_INT_MAX:
        raise api.ApiError(404, "not_found", "no object has an id this large")
    return value


async def commit(request: web.Request, fn: Callable[..., MapChange], *args: Any) -> MapChange:
    """Run one audited edit, then apply it to the live map (edits never need a restart)."""
    return (await commit_all(request, lambda *a: [fn(*a)], *args))[0]


async def commit_all(
    request: web.Request, fn: Callable[..., list[MapChange]], *args: Any
) -> list[MapChange]:
    """Run one transaction of audited edits, then apply them to the live map in order."""
    app = request.app
    storage = app[STORAGE]
    try:
        changes = await asyncio.to_thread(fn, *args, request[api.CALLER].actor)
    except StorageError as err:
        raise storage_error(err) from None
    for change in changes:
        await asyncio.to_thread(
            app[MAP].apply, change, storage.load_beacons, storage.load_closures
        )
    mark_applied(app, [c.revision_id for c in changes])
    return changes


def mark_applied(app: web.Application, revision_ids: list[int]) -> None:
    """Tell map sync (if on) that this process already has these revisions in its live map."""
    sync = app.get(MAP_SYNC)
    if sync is not None:
        sync.mark_applied(revision_ids)
