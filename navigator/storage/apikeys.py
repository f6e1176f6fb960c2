"""API keys and the roles they carry; a key is stored as its hash only."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal, get_args

import sqlalchemy as sa

from navigator.storage.engine import Database
from navigator.storage.errors import NotFound, StorageError
from navigator.storage.tables import API_KEYS, ApiKey

#: The roles a key can carry; the one definition the API, the CLI and the tests use.
Role = Literal["pedestrian", "mapper", "tester", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


def hash_key(key: str) -> str:
    """API keys are stored as sha256 only (keys are 32 random bytes, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What is known of a key without the key itself: enough to pick the one to revoke."""

    id: int
    prefix: str
    role: str
    created_ts: float
    revoked: bool


class KeyStore(Database):
    """Keys are made here and shown once; a request's key resolves to its role."""

    def create_api_key(self, role: str) -> str:
        """Make a new key for a role and return it; only its hash is stored."""
        if role not in ROLES:
            raise StorageError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        key = "bp_" + secrets.token_urlsafe(32)
        with self.write() as conn:
            conn.execute(
                sa.insert(ApiKey).values(
                    key_hash=hash_key(key), prefix=key[:10], role=role, created_ts=time.time()
                )
            )
        return key

    def role_of_key(self, key: str) -> tuple[str, str] | None:
        """(role, key prefix for audit) of a valid, unrevoked key, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(API_KEYS.c.role, API_KEYS.c.prefix).where(
                    API_KEYS.c.key_hash == hash_key(key), API_KEYS.c.revoked == sa.false()
                )
            ).first()
        return (row[0], row[1]) if row else None

    def list_api_keys(self) -> list[KeyRecord]:
        """Every key ever made, oldest first (revoked ones too: the audit log names them)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*_RECORD_COLUMNS).order_by(API_KEYS.c.id)).all()
        return [KeyRecord(*row) for row in rows]

    def revoke_api_key(self, key_id: int) -> KeyRecord:
        """Revoke a key for good (again is no error). Every process reads a key's state from
        the database on each request, so the next request with it fails in any of them."""
        with self.write() as conn:
            conn.execute(sa.update(ApiKey).where(API_KEYS.c.id == key_id).values(revoked=True))
            row = conn.execute(
                sa.select(*_RECORD_COLUMNS).where(API_KEYS.c.id == key_id)).first()
        if row is None:
            raise NotFound(f"no API key with id {key_id}")
        return KeyRecord(*row)


_RECORD_COLUMNS = (API_KEYS.c.id, API_KEYS.c.prefix, API_KEYS.c.role, API_KEYS.c.created_ts,
                   API_KEYS.c.revoked)
