"""What bench/sip_load.py and bench/sip_scale.py share: ports, the tone they stream, and
reading SIPp's final statistics screen."""

from __future__ import annotations

import math
import re
import socket
import struct


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tone_second() -> bytes:
    """One second of a 440 Hz tone, 16-bit mono PCM at 8 kHz."""
    samples = [int(6000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(8000)]
    return struct.pack("<8000h", *samples)


def sipp_counter(screen: str, name: str) -> float:
    """A cumulative counter ("Successful call", "Failed call") from SIPp's statistics screen."""
    found = re.findall(rf"{name}\s*\|\s*[\d.]+[^|]*\|\s*([\d.]+)", screen)
    return float(found[-1]) if found else float("nan")
