"""Admin routes (role admin): API keys."""

from __future__ import annotations

import asyncio
import dataclasses

from aiohttp import web
from pydantic import BaseModel

from navigator import api
from navigator.keys import STORAGE
from navigator.mapedits import entity_id, storage_error
from navigator.mapschemas import Strict
from navigator.storage import NotFound, Role

routes = api.RouteTable("admin")


class KeyCreate(Strict):
    role: Role


class KeyCreated(BaseModel):
    key: str
    role: str


class KeyOut(BaseModel):
    id: int
    prefix: str
    role: str
    created_ts: float
    revoked: bool


@routes.route(
    "POST",
    "/v1/keys",
    role="admin",
    body=KeyCreate,
    response=KeyCreated,
    status=201,
    summary="Create an API key (shown once, stored hashed)",
)
async def create_key(request: web.Request, body: KeyCreate) -> web.Response:
    key = await asyncio.to_thread(request.app[STORAGE].create_api_key, body.role)
    return api.json_response({"key": key, "role": body.role}, status=201)


@routes.route("GET", "/v1/keys", role="admin", response=list[KeyOut],
              summary="Every API key by id and prefix (never the key), revoked ones too")
async def list_keys(request: web.Request) -> web.Response:
    keys = await asyncio.to_thread(request.app[STORAGE].list_api_keys)
    return api.json_response([dataclasses.asdict(k) for k in keys])


@routes.route("DELETE", "/v1/keys/{id}", role="admin", status=204, errors=(404,),
              summary="Revoke an API key: refused from the next request on, in every process")
async def revoke_key(request: web.Request) -> web.Response:
    try:
        await asyncio.to_thread(request.app[STORAGE].revoke_api_key, entity_id(request))
    except NotFound as err:
        raise storage_error(err) from None
    return web.Response(status=204)
