"""A live session's secret token, and keeping session ids short in logs.

The session id names a walk (in URLs, in a proxy's sticky hash); it is no secret. The token is:
made at creation and shown once, stored only as its sha256, and asked for by everything under
``/v1/sessions/{id}/`` (the WebSocket, the preview, the track). Whoever holds it holds the walk,
so neither it nor a whole id is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping

#: Where a client sends the token: a header, or (browsers cannot set headers on a WebSocket)
#: the ``token`` query parameter, which the ``ws_url`` of a new session already carries.
TOKEN_HEADER = "X-Session-Token"
TOKEN_QUERY = "token"
#: Characters of a session id kept in logs: enough to follow one walk.
LOG_PREFIX = 8
_SESSION_PATH = re.compile(rf"(/v1/sessions/[^/]{{{LOG_PREFIX}}})[^/]+")


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


def token_of(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token a request carries, header first."""
    return headers.get(TOKEN_HEADER) or query.get(TOKEN_QUERY) or None


def short_id(session_id: str) -> str:
    """A session id as logs show it."""
    return session_id[:LOG_PREFIX]


def loggable_path(path: str) -> str:
    """A request path with a session id cut to its log prefix (``/v1/sessions/1f3a9c0e…/ws``)."""
    return _SESSION_PATH.sub(r"\1…", path)
