"""Pedestrian routes (no key needed, rate-limited): place search, routes, audio, and the REST
side of live sessions (the WebSocket itself is :mod:`navigator.live`)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from navigator import api
from navigator.keys import MAP, STORAGE, VOICE
from navigator.liveschemas import PreviewItem, SessionCreate, SessionCreated, TrackOut
from navigator.livesessions import live_session, open_session
from navigator.routeplan import plan_route, resolve_point, routes_body
from navigator.schemas import PlaceOut, PlacesQuery, RouteOut, RouteRequest
from navigator.sessiontokens import TOKEN_QUERY, SessionAccess, require_token, token_of
from navigator.speech import audio_url, prewarm, voice_of
from navigator.transit import boarding_sentence, resolve_destination
from routing.paths import RoutingError
from routing.places import search_places
from voice.service import InvalidSpeechRequest
from voice.speaker import SpeechUnavailable

routes = api.RouteTable("pedestrian")


@routes.route("GET", "/v1/places", summary="Find named places (case- and umlaut-insensitive)",
              query=PlacesQuery, response=list[PlaceOut])
async def places(request: web.Request, query: PlacesQuery) -> web.Response:
    mapstate = request.app[MAP]
    found = search_places(list(mapstate.places.values()), query.q, query.limit)
    return api.json_response([
        {"id": p.id, "name": p.name, "kind": p.kind, "lat": p.lat, "lon": p.lon} for p in found
    ])


_ROUTE_OUT = TypeAdapter(RouteOut)


@routes.route("POST", "/v1/routes", summary="Plan an accessible route with spoken maneuvers",
              body=RouteRequest, response=RouteOut, errors=(422, 503))
async def create_route(request: web.Request, body: RouteRequest) -> web.Response:
    app = request.app
    to, boarding = await asyncio.to_thread(resolve_destination, app, body.to)
    try:
        planned = await asyncio.to_thread(plan_route, app[MAP],
                                          body.model_copy(update={"to": to}))
    except RoutingError as err:
        raise api.ApiError(422, err.code, str(err)) from None
    voice = voice_of(app)
    out = routes_body(planned, body,
                      (lambda text, lang: audio_url(voice, text, lang)) if voice else None)
    arrive = out["maneuvers"][-1] if out["maneuvers"] else None
    if boarding is not None and arrive is not None and arrive["kind"] == "arrive":
        arrive["text"] = f"{arrive['text']} {boarding_sentence(boarding, body.lang)}"
        arrive["audio_url"] = audio_url(voice, arrive["text"], body.lang) if voice else None
    prewarm(app, [(m["text"], body.lang) for m in out["maneuvers"]])
    return api.json_response(_ROUTE_OUT.validate_python(out))


class SpeechRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=10_000)
    lang: str = Field(default="de", max_length=10)


class SpeechOut(BaseModel):
    key: str
    audio_url: str


@routes.route("POST", "/v1/speech", summary="Speak a sentence (e.g. a place name) as WAV audio",
              body=SpeechRequest, response=SpeechOut, errors=(422, 503))
async def speech(request: web.Request, body: SpeechRequest) -> web.Response:
    voice = request.app[VOICE]
    try:
        key = await voice.audio_key(body.text, body.lang)
    except InvalidSpeechRequest as err:
        raise api.ApiError(422, err.code, str(err)) from None
    except SpeechUnavailable as err:
        raise api.ApiError(503, "speech_unavailable", f"no speech engine here: {err}") from None
    return api.json_response({"key": key, "audio_url": f"/v1/audio/{key}.wav"})


@routes.route("GET", "/v1/audio/{key}.wav", summary="Spoken audio of an instruction (WAV)",
              errors=(404, 503))
async def audio(request: web.Request) -> web.StreamResponse:
    voice = request.app[VOICE]
    key = request.match_info["key"]
    etag = voice.etag(key)
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    try:
        data = await voice.audio(key)
    except KeyError:
        raise api.ApiError(404, "unknown_audio", "no audio with this key") from None
    except SpeechUnavailable as err:
        raise api.ApiError(503, "speech_unavailable", str(err)) from None
    return web.Response(body=data, headers=voice.response_headers(key))


@routes.route("POST", "/v1/sessions", summary="Start live guidance; connect to ws_url next",
              body=SessionCreate, response=SessionCreated, status=201, errors=(422, 503))
async def create_session(request: web.Request, body: SessionCreate) -> web.Response:
    app = request.app
    mapstate = app[MAP]
    start = resolve_point(mapstate, body.from_, "from") if body.from_ is not None else None
    try:
        live, token, route = await open_session(app, body, start)
    except RoutingError as err:
        raise api.ApiError(422, err.code, str(err)) from None
    # ws_url carries the token, so a client that connects to it as given needs no change
    return api.json_response(
        {"session_id": live.id, "token": token,
         "ws_url": f"/v1/sessions/{live.id}/ws?{TOKEN_QUERY}={token}",
         "length_m": round(route.length_m, 1) if route else None}, status=201)


@routes.route("GET", "/v1/sessions/{id}/preview", summary="All instructions before starting",
              query=SessionAccess, response=list[PreviewItem], errors=(401, 404))
async def preview(request: web.Request, query: SessionAccess) -> web.Response:
    live = await live_session(request.app, request.match_info["id"],
                              token_of(request.headers, query))
    return api.json_response(live.nav.preview())


@routes.route("GET", "/v1/sessions/{id}/track", summary="A finished walk's track, if opted in",
              query=SessionAccess, response=TrackOut, errors=(401, 404))
async def track(request: web.Request, query: SessionAccess) -> web.Response:
    kept = await asyncio.to_thread(request.app[STORAGE].load_track, request.match_info["id"])
    if kept is None:
        raise api.ApiError(404, "no_track", "no track kept for this session (not opted in, "
                                            "or the session has not ended)")
    require_token(token_of(request.headers, query), kept.pop("token_hash"))
    return api.json_response(kept)
