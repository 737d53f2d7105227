"""Giving the heap back after connections close.

What roulette's connections allocate (engine.io sockets, their queues and sessions, websocket
buffers, ASGI scopes) is freed when they close, but glibc's malloc keeps freed memory in its
arenas, fragmented between the few objects that live on, so the process's resident size stays
where the busiest moment left it: about 8 KB per connection, cycle after cycle. ``trim`` asks
glibc to return free memory to the operating system (``malloc_trim(0)``, every arena). The hub
calls it once the connections that closed have let go of their memory: engine.io keeps each
closed socket until its ping timer (``ping_interval``) fires, so the trim runs that long (and
the ping timeout) after a disconnect, at most once per such period. On a C library without
``malloc_trim`` it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def trim() -> bool:
    """Return free heap memory to the OS; whether any was (False without glibc)."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))
