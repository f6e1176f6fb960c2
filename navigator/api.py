"""The thin HTTP layer's machinery: route tables with schemas, JSON errors, auth, OpenAPI.

Every endpoint is declared once in a :class:`RouteTable` with its role, body/query schemas and
response schema. The same declarations drive request validation, the role check of
:func:`auth_middleware` and the generated ``/openapi.json``, so a new route cannot exist without a
role decision and a schema.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from navigator.storage import ROLES

log = logging.getLogger(__name__)

PUBLIC = "public"
Handler = Callable[..., Awaitable[web.StreamResponse]]

#: Which stored roles may call an endpoint that requires a given role.
ROLE_GRANTS: dict[str, frozenset[str]] = {
    PUBLIC: frozenset(ROLES),
    "pedestrian": frozenset(ROLES),
    "mapper": frozenset({"mapper", "admin"}),
    "tester": frozenset({"tester", "admin"}),
    "admin": frozenset({"admin"}),
}
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: their role and a key prefix for the audit log (None: anonymous)."""

    role: str | None = None
    actor: str | None = None


CALLER = web.RequestKey("caller", Caller)


class ApiError(Exception):
    """An error the client can act on, rendered as ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status)


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


@dataclass
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
                          raw_body, errors)
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


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, with 400/413 errors a client can understand."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", f"request body exceeds {MAX_BODY_BYTES} bytes")
    raw = await request.read()
    if not raw:
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "invalid_json", f"request body is not valid JSON: {err}") from None


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
        return error_response(err.status, err.code, err.message, **err.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status, "http_error"
        )
        return error_response(exc.status, code, exc.reason or code.replace("_", " "))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return error_response(500, "internal_error", "internal error; it has been logged")


#: (role, actor) of a key for the app serving the request, or None when the key is not valid.
KeyLookup = Callable[[web.Application, str], Awaitable[tuple[str, str] | None]]


def auth_middleware(lookup: KeyLookup) -> Any:
    """401 without a valid key and 403 with the wrong role, for every non-public endpoint."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        ep = endpoint_of(request)
        caller = Caller()
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, key = header.partition(" ")
            bearer = scheme.lower() == "bearer" and key.strip()
            found = await lookup(request.app, key.strip()) if bearer else None
            if found is None:
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


def rate_limit_middleware(bucket: TokenBucket) -> Any:
    """Anonymous callers are rate-limited per address; keyed callers (staff tools) are not."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request[CALLER].role is None and request.path.startswith("/v1/"):
            if not bucket.allow(request.remote or "?", time.monotonic()):
                raise ApiError(429, "rate_limited", "too many requests; slow down")
        return await handler(request)

    return middleware


# --------------------------------------------------------------------------- OpenAPI


def _schema(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(tp).json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        components[tp.__name__] = schema
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return schema


def build_openapi(tables: list[RouteTable], version: str) -> dict[str, Any]:
    """OpenAPI 3.1 generated from the declared endpoints and their pydantic schemas."""
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"},
                                                    "message": {"type": "string"}}}},
        }
    }
    err_ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths: dict[str, Any] = {}
    for table in tables:
        for ep in table.endpoints:
            op_id = ep.method.lower() + ep.path.replace("/", "_").replace(".", "_")
            op: dict[str, Any] = {"summary": ep.summary, "tags": [table.area],
                                  "operationId": op_id.replace("{", "").replace("}", "")}
            params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                      for n in _path_params(ep.path)]
            if ep.query is not None:
                qschema = ep.query.model_json_schema()
                required = set(qschema.get("required", []))
                for name, prop in qschema.get("properties", {}).items():
                    params.append({"name": name, "in": "query", "required": name in required,
                                   "schema": prop})
            if params:
                op["parameters"] = params
            if ep.body is not None:
                op["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": _schema(ep.body, components)}}}
            elif ep.raw_body is not None:
                op["requestBody"] = {"required": True, "content": {
                    ep.raw_body: {"schema": {"type": "string", "format": "binary"}}}}
            ok: dict[str, Any] = {"description": "OK"}
            if ep.response is not None:
                ok["content"] = {"application/json": {"schema": _schema(ep.response, components)}}
            responses: dict[str, Any] = {str(ep.status): ok}
            codes = set(ep.errors)
            if ep.body is not None or ep.query is not None:
                codes |= {400, 422}
            if ep.role != PUBLIC:
                codes |= {401, 403}
                op["security"] = [{"bearer": []}]
            else:
                codes.add(429)
            for code in sorted(codes):
                responses[str(code)] = {"description": "error", **err_ref}
            op["responses"] = responses
            paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Blind Pilot", "version": version,
                 "description": "Guidance backend for blind and visually impaired pedestrians."},
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _path_params(path: str) -> list[str]:
    out = []
    for part in path.split("/"):
        if "{" in part:
            out.append(part[part.index("{") + 1: part.index("}")].split(":")[0])
    return out
