"""SIP parser candidates measured on the corpus of tests/sip/corpus (docs/telephony.md).

Not a test. Run: ``.venv/bin/python bench/sip_parser_bench.py``. Candidates that are not
installed are listed as such; to measure the PyPI ones without adding them to the project,
install them aside and name the folder::

    .venv/bin/pip install --target /tmp/sipcands sipmessage aiosipua
    SIP_CANDIDATES=/tmp/sipcands .venv/bin/python bench/sip_parser_bench.py

For each candidate: how many ordinary messages it reads right (method or status, Call-ID
and body length as RFC 3261 §18.3 defines it — compact names, folding, no space after the
colon, bare LF, bytes past Content-Length ...), how many hostile ones it refuses, how many
of those it accepts as if they were fine, how many make it raise something other than its
documented parse error (a server must then catch everything), and its speed on the
ordinary messages (the best of 7 rounds).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if os.environ.get("SIP_CANDIDATES"):
    sys.path.append(os.environ["SIP_CANDIDATES"])

from tests.sip.corpus import VALID, malformed, valid  # noqa: E402

Reading = tuple[str, str, int | None]  # method or status, Call-ID, body length (None: n/a)


def hotline() -> tuple[Callable[[bytes], Reading], type[Exception]]:
    from ivr.sip.message import Request, SipParseError, parse

    def read(data: bytes) -> Reading:
        m = parse(data)
        kind = m.method if isinstance(m, Request) else str(m.status)
        return kind, m.headers.get("Call-ID") or "", len(m.body)

    return read, SipParseError


def pyvoip() -> tuple[Callable[[bytes], Reading], type[Exception]]:
    import pyVoIP.VoIP  # noqa: F401  (first: importing pyVoIP.SIP alone is a circular import)
    from pyVoIP.SIP import SIPMessage, SIPMessageType, SIPParseError

    def read(data: bytes) -> Reading:
        m = SIPMessage(data)
        kind = m.method if m.type == SIPMessageType.MESSAGE else str(int(m.status))
        return kind, str(m.headers.get("Call-ID", "")), None  # its body is parsed SDP only

    return read, SIPParseError


def sipmessage() -> tuple[Callable[[bytes], Reading], type[Exception]]:
    from sipmessage import Message, Request

    def read(data: bytes) -> Reading:
        m = Message.parse(data)
        kind = m.method if isinstance(m, Request) else str(m.code)
        return kind, m.headers.get("Call-ID") or "", len(m.body)

    return read, ValueError


def aiosipua() -> tuple[Callable[[bytes], Reading], type[Exception]]:
    from aiosipua.message import SipMessage, SipRequest

    def read(data: bytes) -> Reading:
        m = SipMessage.parse(data)
        kind = m.method if isinstance(m, SipRequest) else str(m.status_code)
        return kind, m.call_id or "", len(m.body)

    return read, ValueError


CANDIDATES = {
    "hotline (ivr.sip.message)": hotline,
    "pyVoIP 1.6.8 SIPMessage": pyvoip,
    "sipmessage 0.7.1": sipmessage,
    "aiosipua 0.7.1": aiosipua,
}


def measure(read: Callable[[bytes], Reading], error: type[Exception]) -> dict[str, Any]:
    good, bad = valid(), malformed()
    right, wrong = 0, []
    for name, data in good.items():
        try:
            got = read(data)
        except Exception as exc:
            wrong.append(f"{name} ({type(exc).__name__})")
            continue
        kind, call_id, body = VALID[name]
        if got[0] == kind and got[1] == call_id and got[2] in (body, None):
            right += 1
        else:
            wrong.append(f"{name} (read {got[0]!r}, {got[1][:20]!r}, {got[2]})")
    refused, accepted, stray = 0, [], []
    for name, data in bad.items():
        try:
            read(data)
        except error:
            refused += 1
            continue
        except Exception as exc:
            refused += 1
            stray.append(f"{name} ({type(exc).__name__})")
            continue
        accepted.append(name)
    # The best of several rounds: the figure least disturbed by whatever else the machine runs.
    loops, rounds = 40, 7
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(loops):
            for data in good.values():
                try:
                    read(data)
                except Exception:
                    pass
        best = min(best, time.perf_counter() - started)
    per_message = best / (loops * len(good)) * 1e6
    return {
        "valid": f"{right}/{len(good)}",
        "refused": f"{refused}/{len(bad)}",
        "accepted_bad": accepted,
        "stray": stray,
        "wrong": wrong,
        "us": per_message,
    }


def main() -> None:
    logging.disable(logging.CRITICAL)  # some candidates log every oddity they meet
    print(
        "| parser | ordinary read right | hostile refused | hostile accepted | "
        "raised outside its error type | µs / message |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    details = []
    for name, make in CANDIDATES.items():
        try:
            read, error = make()
        except ImportError:
            print(f"| {name} | not installed | | | | |")
            continue
        r = measure(read, error)
        print(
            f"| {name} | {r['valid']} | {r['refused']} | {len(r['accepted_bad'])} | "
            f"{len(r['stray'])} | {r['us']:.0f} |"
        )
        details.append((name, r))
    for name, r in details:
        print(f"\n{name}")
        print("  misread:", ", ".join(r["wrong"]) or "none")
        print("  accepted hostile:", ", ".join(r["accepted_bad"]) or "none")
        print("  raised outside its error type:", ", ".join(r["stray"]) or "none")


if __name__ == "__main__":
    main()
