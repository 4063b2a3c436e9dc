"""A bounded fuzz run: whatever bytes arrive, the parser and the stream framer raise
SipParseError or nothing — never another exception the server would have to guess at."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.sip.message import SipParseError, addressable, frame, parse, response_from_headers
from tests.sip.corpus import malformed, valid

SEEDS = list(valid().values()) + [m for m in malformed().values() if len(m) < 5000]


def _only_parse_errors(data: bytes) -> None:
    try:
        parse(data)
    except SipParseError as exc:
        # A refused message whose headers allow an answer must be answerable.
        if addressable(exc.headers):
            assert exc.headers is not None
            response_from_headers(exc.headers, 400).encode()
    try:
        parse(data, stream=True)
    except SipParseError:
        pass
    try:
        frame(data)
    except SipParseError:
        pass


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A corpus message with bytes flipped, cut, repeated or spliced in."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif op == "insert":
            piece = draw(
                st.sampled_from(
                    [
                        b"\r\n",
                        b"\n",
                        b":",
                        b" ",
                        b"\t",
                        b";",
                        b",",
                        b"<",
                        b">",
                        b'"',
                        b"\x00",
                        b"\xff",
                        b"\r\n ",
                        b"\r\n\r\n",
                        b"Content-Length: 99\r\n",
                        b"l:-1\r\n",
                        b"v: SIP/2.0/UDP [::1\r\n",
                        b"CSeq: 1 ACK\r\n",
                        b"%",
                    ]
                )
            )
            data = data[:at] + piece + data[at:]
        else:
            data = data[:at] + data[at : at + 200] + data[at:]
    return bytes(data)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_corpus_messages_raise_only_parse_errors(data: bytes) -> None:
    _only_parse_errors(data)


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_random_bytes_raise_only_parse_errors(data: bytes) -> None:
    _only_parse_errors(data)


@settings(max_examples=300)
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
        max_size=12,
    )
)
def test_random_header_lines_raise_only_parse_errors(lines: list[str]) -> None:
    head = "INVITE sip:hotline@192.0.2.1 SIP/2.0\r\n" + "\r\n".join(lines) + "\r\n\r\n"
    _only_parse_errors(head.encode("utf-8", "surrogatepass"))
