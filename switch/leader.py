"""Hot standby: one controller per FreeSWITCH node holds a Redis lock; a second one waits and takes over.

The lock key names the switch (`<namespace>:switch:leader:<esl host>:<esl port>`), its value is the
holder's token, and it lives `ttl_s` seconds unless renewed. The running controller renews it every
third of that; a standby polls until the key is gone (the leader died or lost Redis), takes it, and
only then builds its controller, which adopts the live calls from FreeSWITCH (`Controller.rebuild`).
A leader that cannot renew in time stops, so two controllers never drive one switch.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

import gevent
import redis

log = logging.getLogger("hotline.switch.leader")

# compare-and-act: only the holder may extend or drop the lock; an expired lock nobody took is taken back
# (the holder was only late, e.g. a long blocking step), one held by another controller is lost
_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if not holder then return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1 or 0 end
return 0
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class LeaderLock:
    def __init__(self, client: redis.Redis, key: str, *, ttl_s: float = 10.0) -> None:
        self.redis = client
        self.key = key
        self.ttl_s = ttl_s
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.renewed_at = 0.0

    def acquire(self) -> bool:
        if self.redis.set(self.key, self.token, nx=True, px=int(self.ttl_s * 1000)):
            self.renewed_at = time.monotonic()
            return True
        return False

    def renew(self) -> bool:
        ok = bool(self.redis.eval(_RENEW, 1, self.key, self.token, int(self.ttl_s * 1000)))
        if ok:
            self.renewed_at = time.monotonic()
        return ok

    def release(self) -> None:
        self.redis.eval(_RELEASE, 1, self.key, self.token)

    def holder(self) -> str | None:
        value = self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    def wait(
        self, *, poll_s: float | None = None, on_standby: Callable[[str | None], None] | None = None
    ) -> None:
        """Block (gevent-friendly) until this process holds the lock."""
        announced = False
        while not self.acquire():
            if not announced and on_standby is not None:
                on_standby(self.holder())
                announced = True
            gevent.sleep(poll_s if poll_s is not None else max(0.2, self.ttl_s / 5))
        log.info("leader lock taken", extra={"key": self.key, "token": self.token})

    def keep(self, on_lost: Callable[[], None]) -> gevent.Greenlet:
        """Renew every third of the TTL; call `on_lost` once if the lock is gone or cannot be renewed in time."""

        def loop() -> None:
            while True:
                gevent.sleep(self.ttl_s / 3)
                try:
                    if self.renew():
                        continue
                    log.error("leader lock lost to another controller", extra={"key": self.key})
                except redis.RedisError as exc:
                    if time.monotonic() - self.renewed_at < self.ttl_s:
                        log.warning("leader lock not renewed; retrying", extra={"error": str(exc)})
                        continue
                    log.error("leader lock expired while Redis was unreachable", extra={"key": self.key})
                on_lost()
                return

        return gevent.spawn(loop)


def lock_key(namespace: str, esl_host: str, esl_port: int) -> str:
    return f"{namespace}:switch:leader:{esl_host}:{esl_port}"
