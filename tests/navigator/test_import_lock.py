"""One whole-map import at a time across processes (the import race of the hardening issue, item
1): two workers each took only their own process's lock, so a big import asked for first could
commit after the city asked for second and leave every worker on the big one."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from navigator import mapops
from navigator.settings import Settings
from navigator.storage import Storage, StorageError
from tests.conftest import NEUKOELLN
from tests.navigator.conftest import ClientFactory, auth, create_keys
from tests.navigator.test_storage import store  # noqa: F401 - the fixture, on both databases

HOLDER = """
import sys
from navigator.storage import Storage
held = Storage(sys.argv[1]).try_lock_imports()
print("held" if held else "busy", flush=True)
sys.stdin.read()
"""


def test_an_import_in_another_process_holds_off_this_one_until_it_ends(
    store: Storage,  # noqa: F811 - the fixture
) -> None:
    other = subprocess.Popen([sys.executable, "-c", HOLDER, store.url], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        assert store.try_lock_imports() is None
        with pytest.raises(StorageError, match="another map import"), \
                store.imports_locked(timeout_s=0.3):
            pass
    finally:
        other.communicate("")  # the holder ends without releasing: its death releases it
    held = store.try_lock_imports()
    assert held is not None
    assert store.try_lock_imports() is None  # held here now, for this process's others too
    held.release()
    with store.imports_locked(timeout_s=0.3):
        pass


def test_an_in_memory_database_locks_within_its_process() -> None:
    memory = Storage("sqlite://")
    held = memory.try_lock_imports()
    assert held is not None and memory.try_lock_imports() is None
    held.release()
    again = memory.try_lock_imports()
    assert again is not None
    again.release()


async def test_an_upload_waits_for_the_other_process_import_then_runs(
    make_client: ClientFactory, settings: Settings
) -> None:
    client = await make_client(settings)
    h = auth(create_keys(settings.database_url)["mapper"])
    other = Storage(settings.database_url)
    held = other.try_lock_imports()  # another process importing
    assert held is not None
    t0 = time.monotonic()
    upload = asyncio.create_task(client.post("/v1/map/import", params={"replace": "true"},
                                             data=NEUKOELLN.read_bytes(), headers=h))
    await asyncio.sleep(0.5)
    assert not upload.done()  # waiting, not parsing beside the other import
    held.release()
    r = await upload
    assert r.status == 200, await r.text()
    assert time.monotonic() - t0 >= 0.5
    assert set(await r.json()) == {"nodes", "edges", "places"}
    health = await (await client.get("/health")).json()
    assert health["graph"]["nodes"] == (await r.json())["nodes"]
    other.close()


async def test_an_upload_is_refused_when_another_import_holds_on_too_long(
    make_client: ClientFactory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mapops, "COMMIT_TIMEOUT_S", 0.0)
    client = await make_client(settings.with_(import_timeout_s=0.3))
    h = auth(create_keys(settings.database_url)["mapper"])
    other = Storage(settings.database_url)
    held = other.try_lock_imports()
    assert held is not None
    try:
        r = await client.post("/v1/map/import", params={"replace": "true"},
                              data=NEUKOELLN.read_bytes(), headers=h)
    finally:
        held.release()
        other.close()
    assert r.status == 503 and r.headers["Retry-After"]
    assert (await r.json())["error"]["code"] == "import_busy"
