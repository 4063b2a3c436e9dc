"""Prompts: 8 kHz mono PCMU WAV files (``config/prompts/<language>/<name>.wav``, made by
``scripts/make_prompts.sh``), cut once, at start-up, into 20 ms frames of 160 bytes that
the pacer sends as they are — nothing is encoded while a call plays them.

:func:`read_pcmu_wav` is pure (bytes in, samples out); :func:`load_prompts` reads the files.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

FRAME = 160  # 20 ms at 8 kHz, one byte per sample
SILENCE = b"\xff" * FRAME  # mu-law's zero
WAVE_MULAW = 7


class PromptError(ValueError):
    """A prompt file is not 8 kHz mono PCMU WAV; the message names it."""


def read_pcmu_wav(data: bytes, name: str = "prompt") -> bytes:
    """The mu-law samples of a WAV file holding 8 kHz mono G.711 mu-law."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise PromptError(f"{name}: not a WAV file")
    offset, fmt, samples = 12, None, None
    while offset + 8 <= len(data):
        chunk, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = data[offset + 8 : offset + 8 + size]
        if chunk == b"fmt ":
            if len(body) < 16:
                raise PromptError(f"{name}: short fmt chunk")
            fmt = struct.unpack_from("<HHIIHH", body)
        elif chunk == b"data":
            samples = body
        offset += 8 + size + (size & 1)  # chunks are word aligned
    if fmt is None or samples is None:
        raise PromptError(f"{name}: no fmt or data chunk")
    tag, channels, rate, _, _, bits = fmt
    if (tag, channels, rate, bits) != (WAVE_MULAW, 1, 8000, 8):
        raise PromptError(
            f"{name}: format {tag}, {channels} channel(s), {rate} Hz, {bits} bits; "
            "needs mu-law (7), 1 channel, 8000 Hz, 8 bits (scripts/make_prompts.sh)"
        )
    return bytes(samples)


def frames_of(samples: bytes) -> tuple[bytes, ...]:
    """20 ms frames; the last padded with silence."""
    out = [samples[i : i + FRAME] for i in range(0, len(samples), FRAME)]
    if out and len(out[-1]) < FRAME:
        out[-1] = out[-1] + SILENCE[: FRAME - len(out[-1])]
    return tuple(out)


@dataclass
class PromptSet:
    """Every prompt's frames by (language, name)."""

    frames: dict[tuple[str, str], tuple[bytes, ...]] = field(default_factory=dict)

    def get(self, language: str, name: str) -> tuple[bytes, ...] | None:
        return self.frames.get((language, name))

    def missing(self, languages: Iterable[str], names: Iterable[str]) -> list[str]:
        """``language/name`` of every prompt asked for that the set lacks."""
        wanted = [(lang, n) for lang in languages for n in sorted(names)]
        return [f"{lang}/{n}" for lang, n in wanted if (lang, n) not in self.frames]


def load_prompts(root: Path, languages: Iterable[str]) -> PromptSet:
    """Read ``root/<language>/*.wav``; a file in another format stops start-up (PromptError)."""
    prompts = PromptSet()
    for language in languages:
        folder = root / language
        if not folder.is_dir():
            raise PromptError(f"{folder}: no prompts for language {language!r}")
        for path in sorted(folder.glob("*.wav")):
            samples = read_pcmu_wav(path.read_bytes(), str(path))
            prompts.frames[(language, path.stem)] = frames_of(samples)
    return prompts
