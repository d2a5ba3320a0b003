"""One writer per collection on a Chroma server, whatever machine or data dir it runs from.

The file lock (index/lock.py) only sees processes that share a data dir. Against a server,
two ingest jobs can run from different machines (two compose projects, a cron job and a
/reindex), and interleaved writes and version bumps would leave the bots chasing a
corpus that is neither. So the writer also holds a lease on the server itself: a record,
keyed by the collection's name, in a small side collection. Chroma has no compare-and-set,
but `add()` of an id that exists is a no-op, so the first writer's record wins and every
other one reads back someone else's name. The lease expires unless renewed (a killed
ingest cannot renew it), so a crash blocks the next ingest for at most `LEASE_TTL_S`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from index.errors import IndexBusyError
from index.settings import EngineSettings

log = logging.getLogger(__name__)
LEASES = "talentbot-writer-leases"
LEASE_TTL_S = 120.0


@contextmanager
def writer_lease(settings: EngineSettings, ttl: float = LEASE_TTL_S) -> Iterator[None]:
    """Hold the server's writer lease for `settings.collection` (no-op when embedded)."""
    if not settings.chroma_host:
        yield  # an embedded store lives in the data dir: the file lock covers it
        return
    from index.store import _where, open_client, store_errors

    where = _where(settings)
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with store_errors(where):
        leases = open_client(settings).get_or_create_collection(
            LEASES, embedding_function=None
        )
        _acquire(leases, settings.collection, me, ttl, where)
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(leases, settings.collection, me, ttl, stop),
        name="talentbot-lease", daemon=True,
    )
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        try:
            with store_errors(where):
                leases.delete(ids=[settings.collection], where={"holder": me})
        except Exception as exc:  # it expires by itself
            log.warning("could not release the writer lease on %s: %s", where, exc)


def _acquire(leases: Any, key: str, me: str, ttl: float, where: str) -> None:
    for _ in range(2):
        now = time.time()
        leases.add(ids=[key], embeddings=[[0.0]],
                   metadatas=[{"holder": me, "expires": now + ttl}])
        held = _holder(leases, key)
        if held is None:
            continue  # released between our add and our read: try again
        holder, expires = held
        if holder == me:
            return
        if expires >= now:
            raise IndexBusyError(
                f"The index on {where} is being written by {holder.rsplit(':', 1)[0]} "
                f"(process on that host; lease until "
                f"{time.strftime('%H:%M:%S UTC', time.gmtime(expires))}); try again when "
                "that ingest has finished."
            )
        # Expired: its writer died. Remove exactly that record, then race for it again.
        log.warning("taking over the expired writer lease of %s", holder)
        leases.delete(ids=[key], where={"holder": holder})
    raise IndexBusyError(f"Another ingest took the writer lease on {where} first; try again.")


def _holder(leases: Any, key: str) -> tuple[str, float] | None:
    got = leases.get(ids=[key], include=["metadatas"])
    if not got["ids"]:
        return None
    meta = got["metadatas"][0] or {}
    return str(meta.get("holder", "?")), float(meta.get("expires", 0.0))


def _renew(leases: Any, key: str, me: str, ttl: float, stop: threading.Event) -> None:
    while not stop.wait(ttl / 3):
        try:
            held = _holder(leases, key)
            if held is None or held[0] != me:
                log.error("lost the writer lease on %s (now %s)", key, held)
                return
            leases.update(ids=[key], metadatas=[{"holder": me, "expires": time.time() + ttl}])
        except Exception as exc:  # a blip: the next round tries again before expiry
            log.warning("could not renew the writer lease: %s", exc)
