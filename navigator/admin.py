"""Admin routes (role admin): API keys."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel

from navigator import api
from navigator.keys import STORAGE
from navigator.mapper import Strict
from navigator.storage import Role

routes = api.RouteTable("admin")


class KeyCreate(Strict):
    role: Role


class KeyCreated(BaseModel):
    key: str
    role: str


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
