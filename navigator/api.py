"""The thin HTTP layer's machinery: route tables with schemas, reading bodies, JSON errors,
auth and rate limits.

Every endpoint is declared once in a :class:`RouteTable` with its role, body/query schemas and
response schema. The same declarations drive request validation, the role check of
:func:`auth_middleware` and the generated ``/openapi.json`` (:mod:`navigator.openapi`), so a
new route cannot exist without a role decision and a schema.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web
from pydantic import BaseModel, ValidationError

from navigator.clients import FailedKeys, Network, client_address
from navigator.logs import loggable_path
from navigator.storage import ROLES

log = logging.getLogger(__name__)

PUBLIC = "public"
#: Staff who work on the map, both those who edit it and those who test guidance on it: the
#: console's map endpoint is theirs, not a walker's.
MAPPER_OR_TESTER = "mapper_or_tester"
Handler = Callable[..., Awaitable[web.StreamResponse]]

#: Which stored roles may call an endpoint that requires a given role.
ROLE_GRANTS: dict[str, frozenset[str]] = {
    PUBLIC: frozenset(ROLES),
    "pedestrian": frozenset(ROLES),
    "mapper": frozenset({"mapper", "admin"}),
    "tester": frozenset({"tester", "admin"}),
    MAPPER_OR_TESTER: frozenset({"mapper", "tester", "admin"}),
    "admin": frozenset({"admin"}),
}
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
#: The status counted (never sent) for a request whose client left before it was read (nginx's).
CLIENT_CLOSED = 499
DEFAULT_BODY_TIMEOUT_S = 60.0
#: Seconds a request body may take to arrive (``BLINDPILOT_BODY_TIMEOUT_S``).
BODY_TIMEOUT_S = web.AppKey("body_timeout_s", float)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: their role and a key prefix for the audit log (None: anonymous)."""

    role: str | None = None
    actor: str | None = None


CALLER = web.RequestKey("caller", Caller)


class ApiError(Exception):
    """An error the client can act on, rendered as ``{"error": {"code", "message"}}`` (plus
    ``extra`` fields; ``headers`` such as ``Retry-After`` go on the response)."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra
        self.headers = headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}},
                             status=status, headers=headers)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    """Serialise pydantic models, lists of them and plain data alike."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list) and data and isinstance(data[0], BaseModel):
        data = [d.model_dump(mode="json") for d in data]
    return web.json_response(data, status=status, headers=headers)


def describe_validation_error(err: ValidationError) -> str:
    """One human sentence naming each bad field, e.g. ``from.lat: Input should be ...``."""
    parts = []
    for e in err.errors()[:5]:
        loc = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One HTTP route and everything known about it."""

    method: str
    path: str
    handler: Handler
    role: str
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    raw_body: str | None = None  # content type of a non-JSON body (e.g. an OSM upload)
    errors: tuple[int, ...] = ()
    messages: Any = None  # what a client sends on a WebSocket route (OpenAPI has no words for it)


@dataclass(eq=False)  # a registry: equal only to itself, hashable (the OpenAPI cache keys on it)
class RouteTable:
    """The routes of one area (ops, pedestrian, mapper, tester, admin)."""

    area: str
    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        role: str = PUBLIC,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        raw_body: str | None = None,
        errors: tuple[int, ...] = (),
        messages: Any = None,
    ) -> Callable[[Handler], Handler]:
        """Declare an endpoint; the handler gets ``body=`` / ``query=`` already validated."""
        if role not in ROLE_GRANTS:
            raise ValueError(f"unknown role {role!r} for {method} {path}")

        def decorate(fn: Handler) -> Handler:
            async def handler(request: web.Request) -> web.StreamResponse:
                kwargs: dict[str, Any] = {}
                if query is not None:
                    kwargs["query"] = _validate(query, query_params(request))
                if body is not None:
                    kwargs["body"] = _validate(body, await read_json(request), strict=True)
                return await fn(request, **kwargs)

            ep = Endpoint(method, path, handler, role, summary, body, query, response, status,
                          raw_body, errors, messages)
            handler.endpoint = ep  # type: ignore[attr-defined]
            self.endpoints.append(ep)
            return fn

        return decorate

    def add_to(self, app: web.Application) -> None:
        for ep in self.endpoints:
            app.router.add_route(ep.method, ep.path, ep.handler)


def _validate(model: type[BaseModel], data: Any, strict: bool = False) -> BaseModel:
    """Bodies are validated strictly: JSON types must be the published schema's (no ``false``
    for a number, no ``"1"`` for an integer); query strings are text, so they are coerced."""
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as err:
        raise ApiError(422, "invalid_input", describe_validation_error(err)) from None


def query_params(request: web.Request) -> dict[str, str]:
    """The query string as single values; a repeated parameter is ambiguous, so it is refused
    (taking the first silently would accept ``?limit=1&limit=x``)."""
    query = request.query
    repeated = sorted(k for k in set(query) if len(query.getall(k)) > 1)
    if repeated:
        raise ApiError(422, "invalid_input",
                       f"give each query parameter once (repeated: {', '.join(repeated)})")
    return dict(query)


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``max_bytes`` while it is read
    (a chunked body has no Content-Length to check first: a 63 MB one was read whole) and
    with 408 when it does not arrive within the app's :data:`BODY_TIMEOUT_S`."""
    too_large = ApiError(413, "body_too_large", f"request body exceeds {max_bytes} bytes")
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    body = bytearray()
    try:
        async with asyncio.timeout(request.app.get(BODY_TIMEOUT_S, DEFAULT_BODY_TIMEOUT_S)):
            async for chunk in request.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise too_large
    except TimeoutError:
        raise ApiError(408, "body_timeout", "the request body did not arrive in time") from None
    return bytes(body)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, with 400/408/413 errors a client can understand."""
    raw = await read_body(request, MAX_BODY_BYTES)
    if not raw:
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    try:
        return decode_json(raw)
    except ValueError as err:
        raise ApiError(400, "invalid_json", f"request body: {err}") from None


def decode_json(raw: str | bytes) -> Any:
    """JSON from a client (HTTP body or WebSocket message); ValueError with a clear message.

    Nesting is bounded before parsing: ``[`` x 1000 made the parser raise RecursionError (a 500,
    and a WebSocket closed with 1002), and no message of this API nests more than a few levels.
    """
    if isinstance(raw, str):  # counted as it came: encoding every scan message costs time
        opened = raw.count("[") + raw.count("{")
    else:
        opened = raw.count(b"[") + raw.count(b"{")
    if opened > MAX_JSON_DEPTH:  # else it cannot be too deep
        depth = _nesting_depth(raw.encode() if isinstance(raw, str) else raw)
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested {depth} levels deep; at most {MAX_JSON_DEPTH} are "
                             "allowed")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"not valid JSON: {err}") from None


def _nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings left out.

    In bytes operations only (a regex over strings was quadratic on ``"\\"\\...``): escaped
    backslashes, then escaped quotes, are dropped; every quote left opens or closes a string.
    """
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2]).translate(None, _NOT_BRACKETS)
    if not outside:
        return 0
    # "[" and "{" are 0x5b and 0x7b, "]" and "}" 0x5d and 0x7d: one bit apart
    folded = np.frombuffer(outside, dtype=np.uint8) | 0x20
    return int(np.cumsum(np.where(folded == ord("{"), 1, -1)).max())


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259); accepting them would echo invalid JSON back."""
    raise ValueError(f"{name} is not a JSON number")


def endpoint_of(request: web.Request) -> Endpoint | None:
    """The declared endpoint a request matched, if any."""
    route = request.match_info.route
    return getattr(getattr(route, "handler", None), "endpoint", None)


# --------------------------------------------------------------------------- middlewares


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into the JSON error shape; only true bugs become 500 (and are logged)."""
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err.status, err.code, err.message, err.headers, **err.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status, "http_error"
        )
        return error_response(exc.status, code, exc.reason or code.replace("_", " "))
    except asyncio.CancelledError:
        raise
    except ConnectionResetError:  # the client went away mid-body: nothing to answer, no bug
        log.info("client disconnected", extra={"event": "client_disconnected",
                                               "path": loggable_path(request.path),
                                               "method": request.method})
        return error_response(CLIENT_CLOSED, "client_closed", "the client closed the connection")
    except Exception:
        log.exception("unhandled error", extra={"path": loggable_path(request.path),
                                                "method": request.method})
        return error_response(500, "internal_error", "internal error; it has been logged")


#: (role, actor) of a key for the app serving the request, or None when the key is not valid.
KeyLookup = Callable[[web.Application, str], Awaitable[tuple[str, str] | None]]
#: The address a request counts against (see :func:`navigator.clients.client_address`).
CLIENT = web.RequestKey("client", str)
#: What a key can look like (keys are ``bp_`` + URL-safe base64); anything else is not
#: looked up (a key of ``\xff`` once reached the database driver and ended as a 500).
_KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,256}")


def client_middleware(trusted: Sequence[Network]) -> Any:
    """Work out the client address once: the peer, or behind a trusted proxy the forwarded one."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[CLIENT] = client_address(
            request.remote, request.headers.getall("X-Forwarded-For", []), trusted)
        return await handler(request)

    return middleware


def auth_middleware(lookup: KeyLookup, bucket: TokenBucket, failed: FailedKeys) -> Any:
    """401 without a valid key and 403 with the wrong role, for every non-public endpoint.

    A failed key costs the client's address a token of the anonymous rate limit (429 once
    they are spent, as for any anonymous caller), and the same wrong key is not looked up
    again for a while: guessing costs the guesser, not the database.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        ep = endpoint_of(request)
        caller = Caller()
        header = request.headers.get("Authorization", "")
        if header:
            now = time.monotonic()
            scheme, _, key = header.partition(" ")
            key = key.strip()
            found = None
            if (scheme.lower() == "bearer" and _KEY_FORMAT.fullmatch(key)
                    and not failed.failed_lately(key, now)):
                found = await lookup(request.app, key)
                if found is None:
                    failed.add(key, now)
            if found is None:
                if not bucket.allow(request[CLIENT], now):
                    raise rate_limited(bucket)
                raise ApiError(401, "unauthorized", "the API key is not valid")
            caller = Caller(*found)
        request[CALLER] = caller
        if ep is not None and ep.role != PUBLIC:
            if caller.role is None:
                raise ApiError(
                    401, "unauthorized", f"this endpoint needs an API key with role {ep.role}"
                )
            if caller.role not in ROLE_GRANTS[ep.role]:
                raise ApiError(
                    403, "forbidden", f"role {caller.role} may not call {ep.method} {ep.path}"
                )
        return await handler(request)

    return middleware


class TokenBucket:
    """Per-client token bucket; time is passed in so tests are exact."""

    def __init__(self, rate_per_s: float, burst: float) -> None:
        self.rate, self.burst = rate_per_s, burst
        self._state: dict[str, tuple[float, float]] = {}

    def allow(self, client: str, now_s: float) -> bool:
        tokens, last = self._state.get(client, (float(self.burst), now_s))
        tokens = min(self.burst, tokens + (now_s - last) * self.rate)
        if len(self._state) > 100_000:  # bound memory under address churn
            self._state.clear()
        if tokens < 1.0:
            self._state[client] = (tokens, now_s)
            return False
        self._state[client] = (tokens - 1.0, now_s)
        return True


def rate_limited(bucket: TokenBucket) -> ApiError:
    """The 429 of a spent bucket, with when the next token comes."""
    return ApiError(429, "rate_limited", "too many requests; slow down",
                    headers={"Retry-After": str(max(1, math.ceil(1 / bucket.rate)))})


def rate_limit_middleware(bucket: TokenBucket) -> Any:
    """Anonymous callers are rate-limited per address on every path (not only /v1/: an
    unlimited /openapi.json was enough to slow live sessions); keyed callers are not."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request[CALLER].role is None and not bucket.allow(request[CLIENT], time.monotonic()):
            raise rate_limited(bucket)
        return await handler(request)

    return middleware
