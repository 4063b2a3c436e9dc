"""The parser corpus: real-world and hostile SIP messages (tests/sip/corpus/), with what a
correct reader must make of each. Used by the parser tests, the sipp malformed-input test
and bench/sip_parser_bench.py, which measures candidate parsers on it (docs/telephony.md).

``valid/``: messages as common stacks send them (Linphone, Asterisk PJSIP, a Kamailio probe,
compact headers, folding, no space after the colon, bare LF, several Via, a body without
Content-Type, ...). ``malformed/``: what a server must refuse (garbage, truncated, wrong
Content-Length, invalid UTF-8, missing headers, ...). Two more are made here rather than
stored: a message over the size limit and one with too many header fields.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"

# name → (method or status code, Call-ID, body length): what a correct parser reads.
VALID = {
    "ack.sip": ("ACK", "7yXaNwUd8R", 0),
    "bye.sip": ("BYE", "7yXaNwUd8R", 0),
    "cancel.sip": ("CANCEL", "7yXaNwUd8R", 0),
    "info_dtmf.sip": ("INFO", "7yXaNwUd8R", 24),
    "invite_asterisk_pjsip.sip": ("INVITE", "4f5e6d7c-8b9a-4c0d-9e1f-2a3b4c5d6e7f", 216),
    "invite_bare_lf.sip": ("INVITE", "lf-1@192.0.2.35", 0),
    "invite_binary_body.sip": ("INVITE", "bin-1@192.0.2.41", 256),
    "invite_body_without_content_type.sip": ("INVITE", "noct-1@192.0.2.34", 216),
    "invite_bytes_past_content_length.sip": ("INVITE", "past-1@192.0.2.36", 216),
    "invite_case_and_quoted_commas.sip": ("INVITE", "case-1@192.0.2.39", 0),
    "invite_compact_headers.sip": ("INVITE", "a84b4c76e66710@pc33.example.com", 216),
    "invite_folded_headers.sip": ("INVITE", "fold-1@192.0.2.33", 0),
    "invite_ipv6_via.sip": ("INVITE", "v6-1@2001:db8::9", 0),
    "invite_linphone.sip": ("INVITE", "7yXaNwUd8R", 216),
    "invite_multiple_via.sip": ("INVITE", "multivia-1@example.com", 0),
    "invite_no_content_length_udp.sip": ("INVITE", "nocl-1@192.0.2.37", 216),
    "invite_no_space_after_colon.sip": ("INVITE", "nospace-1@192.0.2.31", 216),
    "invite_rfc2543_branch.sip": ("INVITE", "old-1@192.0.2.40", 0),
    "invite_tel_uri_and_pai.sip": ("INVITE", "tel-1@192.0.2.38", 0),
    "invite_utf8_display_name.sip": ("INVITE", "utf-1@192.0.2.42", 0),
    "invite_whitespace_before_colon.sip": ("INVITE", "ws-1@192.0.2.32", 0),
    "notify_sipfrag.sip": ("NOTIFY", "7yXaNwUd8R", 16),
    "options_proxy_probe.sip": ("OPTIONS", "3a1e5d2c-ping@198.51.100.1", 0),
    "refer.sip": ("REFER", "7yXaNwUd8R", 0),
    "register.sip": ("REGISTER", "reg-1@192.0.2.50", 0),
    "response_180_ringing.sip": ("180", "out-1@192.0.2.1", 0),
    "response_200_ok_sdp.sip": ("200", "out-1@192.0.2.1", 216),
    "response_no_reason_phrase.sip": ("200", "out-2@192.0.2.1", 0),
    "unknown_method.sip": ("NEWMETHOD", "unk-1@192.0.2.51", 0),
}


def _huge() -> bytes:
    return (
        b"INVITE sip:hotline@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.61;branch=z9hG4bKhuge;rport\r\n"
        b"From: <sip:+8613800000098@192.0.2.61>;tag=h\r\nTo: <sip:hotline@192.0.2.1>\r\n"
        b"Call-ID: huge@192.0.2.61\r\nCSeq: 1 INVITE\r\nX-Padding: "
        + b"a" * 70_000
        + b"\r\nContent-Length: 0\r\n\r\n"
    )


def _many_headers() -> bytes:
    lines = [
        "OPTIONS sip:hotline@192.0.2.1 SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.62;branch=z9hG4bKmany;rport",
        "From: <sip:x@192.0.2.62>;tag=m",
        "To: <sip:hotline@192.0.2.1>",
        "Call-ID: many@192.0.2.62",
        "CSeq: 1 OPTIONS",
        *(f"X-H{i}: {i}" for i in range(1000)),
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def valid() -> dict[str, bytes]:
    return {name: (CORPUS / "valid" / name).read_bytes() for name in sorted(VALID)}


def malformed() -> dict[str, bytes]:
    found = {p.name: p.read_bytes() for p in sorted((CORPUS / "malformed").iterdir())}
    found["huge_over_64k.gen"] = _huge()
    found["too_many_headers.gen"] = _many_headers()
    return found
