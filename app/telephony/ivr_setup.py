"""IVR mode's start-up: ivr.yaml read and checked, the prompts loaded and checked against
it, the RTP port range read — any mistake stops start-up with a message that names it."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.contacts.wiring import LivePath
from app.telephony.callbacks import Callbacks
from app.telephony.config import TelephonyConfig
from app.telephony.ivr_calls import IvrCalls
from config.settings import Settings
from ivr.flow.model import Flows
from ivr.flow.parse import FlowError, parse_flows
from ivr.media.prompts import PromptError, PromptSet, load_prompts
from ivr.media.transport import PortRange

# Played outside the flows: announcements while waiting, numbers, the transfer fallback.
HOST_PROMPTS = ("hold", "queue_position", "wait_minutes", "transfer_failed", "goodbye",
                "callback_offer", "callback_confirmed",
                *(f"digit_{d}" for d in range(10)))  # fmt: skip


class IvrConfigError(ValueError):
    """ivr.yaml, the prompts or the RTP settings are wrong; the message names what."""


def load_flows(path: Path) -> Flows:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IvrConfigError(f"{path}: {exc}") from exc
    try:
        return parse_flows(data, source=path.name)
    except FlowError as exc:
        raise IvrConfigError(str(exc)) from exc


def load_checked_prompts(root: Path, flows: Flows) -> PromptSet:
    try:
        prompts = load_prompts(root, flows.languages)
    except (OSError, PromptError) as exc:
        raise IvrConfigError(str(exc)) from exc
    missing = prompts.missing(flows.languages, {*flows.prompt_names(), *HOST_PROMPTS})
    if missing:
        raise IvrConfigError(
            f"{root}: prompts missing: {', '.join(missing[:10])} (scripts/make_prompts.sh)"
        )
    return prompts


def port_range(text: str) -> PortRange:
    if text == "0":
        return PortRange(0, 0)
    low, _, high = text.partition("-")
    lo, hi = int(low), int(high)
    if not 1024 <= lo < hi <= 65535:
        raise IvrConfigError(f"HOTLINE_RTP_PORTS {text!r}: low-high, within 1024-65535")
    return PortRange(lo + (lo & 1), hi)  # RTP on even ports (RFC 3550 §11)


def start_ivr(settings: Settings, config: TelephonyConfig, live: LivePath) -> IvrCalls:
    flows = load_flows(settings.ivr_file)
    prompts = load_checked_prompts(settings.prompts_dir, flows)
    address = settings.rtp_address or settings.sip_host
    if address in ("0.0.0.0", "::"):
        raise IvrConfigError(
            "HOTLINE_RTP_ADDRESS: SIP listens on every address; say which one callers reach "
            "(it goes in SDP and in Contact)"
        )
    ports = port_range(settings.rtp_ports)
    callbacks = Callbacks(
        live.service,
        live.uow,
        live.hub,
        address,
        ports,
        settings.sip_host,
        proxy=settings.sip_outbound_proxy,
    )
    return IvrCalls(
        config,
        flows,
        prompts,
        live.service,
        live.uow,
        address,
        ports,
        settings.sip_host,
        callbacks,
    )
