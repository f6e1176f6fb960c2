"""A live session's secret token: made, stored as a hash, carried and checked.

The session id names a walk (in URLs, in a proxy's sticky hash); it is no secret. The token is:
made at creation and shown once, stored only as its sha256, and asked for by everything under
``/v1/sessions/{id}/`` (the WebSocket, the preview, the track). Whoever holds it holds the walk,
so neither it nor a whole id is ever logged (:func:`navigator.logs.short_id`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from pydantic import BaseModel, Field

from navigator import api

#: Where a client sends the token: a header, or (browsers cannot set headers on a WebSocket)
#: the ``token`` query parameter, which the ``ws_url`` of a new session already carries.
TOKEN_HEADER = "X-Session-Token"
TOKEN_QUERY = "token"


def new_token() -> str:
    """A fresh token: 24 random bytes, URL-safe (it travels in a query string)."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """What is stored: random tokens need no salt (as API keys, :mod:`navigator.storage`)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, token_hash: str | None) -> bool:
    """True only for the session's own token (compared in constant time); a session stored
    without a token (from before tokens) matches nothing."""
    if not token or not token_hash:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


class SessionAccess(BaseModel):
    """The query of every route under ``/v1/sessions/{id}/`` (published in /openapi.json)."""

    token: str | None = Field(default=None, max_length=200, description=(
        f"the session's token as POST /v1/sessions returned it (or the {TOKEN_HEADER} header)"))


def token_of(headers: Mapping[str, str], query: SessionAccess) -> str | None:
    """The token a request carries, header first."""
    return headers.get(TOKEN_HEADER) or query.token or None


def require_token(token: str | None, token_hash: str | None) -> str:
    """The session's token hash once ``token`` matches it; 401 otherwise (also for a session or
    track stored before sessions had tokens)."""
    if not token:
        raise api.ApiError(401, "session_token_required",
                           f"send the session's token ({TOKEN_HEADER} header or ?{TOKEN_QUERY}=)"
                           ", as POST /v1/sessions returned it")
    if token_hash is None or not token_matches(token, token_hash):
        raise api.ApiError(401, "invalid_session_token", "this is not the session's token")
    return token_hash
