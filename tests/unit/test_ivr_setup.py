"""IVR mode's start-up checks (app/telephony/ivr_setup.py) and the sipfrag of a NOTIFY."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.telephony.ivr_calls import sipfrag_status
from app.telephony.ivr_setup import (
    HOST_PROMPTS,
    IvrConfigError,
    load_checked_prompts,
    load_flows,
    port_range,
)
from config.settings import CONFIG_DIR


def test_the_shipped_flows_and_prompts_load() -> None:
    flows = load_flows(CONFIG_DIR / "ivr.yaml")
    prompts = load_checked_prompts(CONFIG_DIR / "prompts", flows)
    assert all(prompts.get(lang, name) for lang in ("zh", "en") for name in HOST_PROMPTS)


def test_a_flow_mistake_names_the_file_and_place(tmp_path: Path) -> None:
    path = tmp_path / "ivr.yaml"
    path.write_text("flows:\n  main:\n    start: a\n    nodes:\n      a: {play: [p], next: b}\n")
    with pytest.raises(IvrConfigError, match=r"ivr\.yaml flows\.main\.nodes\.a\.next: no node 'b'"):
        load_flows(path)
    path.write_text("flows: [\n")
    with pytest.raises(IvrConfigError, match=r"ivr\.yaml"):
        load_flows(path)


def test_a_missing_prompt_stops_start_up(tmp_path: Path) -> None:
    flows = load_flows(CONFIG_DIR / "ivr.yaml")
    for language in ("zh", "en"):
        (tmp_path / language).mkdir()
    with pytest.raises(IvrConfigError, match="prompts missing: zh/"):
        load_checked_prompts(tmp_path, flows)
    (tmp_path / "en" / "bad.wav").write_bytes(b"RIFF....WAVEnot really")
    with pytest.raises(IvrConfigError, match=r"bad\.wav"):
        load_checked_prompts(tmp_path, flows)


def test_rtp_port_ranges() -> None:
    ports = port_range("20001-20010")
    assert (ports.low, ports.high) == (20002, 20010)  # even ports
    assert port_range("0").low == 0
    for bad in ("10-20", "30000-20000", "20000-70000"):
        with pytest.raises(IvrConfigError, match="HOTLINE_RTP_PORTS"):
            port_range(bad)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"SIP/2.0 200 OK\r\n", 200),
        (b"SIP/2.0 100 Trying", 100),
        (b"SIP/2.0 486 Busy Here\r\nVia: x\r\n", 486),
        (b"", None),
        (b"hello", None),
        (b"SIP/2.0 2000 x", None),
        (b"\xff\xfe", None),
    ],
)
def test_sipfrag_status(body: bytes, status: int | None) -> None:
    assert sipfrag_status(body) == status
