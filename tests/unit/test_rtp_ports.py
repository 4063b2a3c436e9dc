"""RTP ports from a range (ivr/media/transport.py): even ports, taken ones skipped, and an
exhausted range said so."""

from __future__ import annotations

import socket

import pytest

from ivr.media.transport import PortRange


def free_even_range(size: int) -> int:
    """The start of ``size`` free even ports (probed, so another process's are skipped)."""
    for low in range(41000, 60000, 64):
        probes = []
        try:
            for port in range(low, low + 2 * size, 2):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(s)
                s.bind(("127.0.0.1", port))
            return low
        except OSError:
            continue
        finally:
            for s in probes:
                s.close()
    raise RuntimeError("no free range")


async def test_ports_are_even_distinct_and_skip_taken_ones() -> None:
    low = free_even_range(3)
    ports = PortRange(low, low + 4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", low))  # someone else's
        a = await ports.open("127.0.0.1", lambda key: None)
        b = await ports.open("127.0.0.1", lambda key: None)
        try:
            assert (a.port, b.port) == (low + 2, low + 4)
            with pytest.raises(OSError, match="no free RTP port"):
                await ports.open("127.0.0.1", lambda key: None)
        finally:
            a.close()
            b.close()
    c = await ports.open("127.0.0.1", lambda key: None)  # freed ports come round again
    c.close()
    assert c.port in (low, low + 2, low + 4)
