"""Prompts and the 20 ms pacer (ivr/media/prompts.py, pacer.py) on a clock passed in."""

from __future__ import annotations

import struct

import pytest

from config.settings import CONFIG_DIR
from ivr.media.pacer import INTERVAL, Pacer, Stream
from ivr.media.prompts import FRAME, PromptError, frames_of, load_prompts, read_pcmu_wav
from ivr.media.rtp import parse


def wav(
    tag: int = 7, channels: int = 1, rate: int = 8000, bits: int = 8, data: bytes = b""
) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * channels, channels, bits)
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def test_a_pcmu_wav_is_read_and_cut_into_frames() -> None:
    samples = read_pcmu_wav(wav(data=b"\x01" * 400))
    frames = frames_of(samples)
    assert [len(f) for f in frames] == [FRAME] * 3
    assert frames[-1].endswith(b"\xff" * 80)  # padded with mu-law silence


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not a wav", "not a WAV file"),
        (wav(tag=1, bits=16), "needs mu-law"),
        (wav(rate=16000), "needs mu-law"),
        (wav(channels=2), "needs mu-law"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no fmt or data chunk"),
    ],
)
def test_other_formats_are_refused_by_name(data: bytes, reason: str) -> None:
    with pytest.raises(PromptError) as caught:
        read_pcmu_wav(data, "x.wav")
    assert reason in str(caught.value) and "x.wav" in str(caught.value)


def test_the_shipped_prompts_load_and_are_small() -> None:
    prompts = load_prompts(CONFIG_DIR / "prompts", ["zh", "en"])
    assert prompts.get("en", "welcome") and prompts.get("zh", "digit_9")
    for path in (CONFIG_DIR / "prompts").glob("*/*.wav"):
        assert path.stat().st_size < 80_000, path  # a few seconds each


def stream(key: str, frames: int) -> Stream:
    s = Stream(key, 0, ssrc=7, sequence=65534, timestamp=100)
    s.play([bytes([i]) * FRAME for i in range(frames)])
    return s


def test_one_frame_per_stream_per_tick_with_headers_that_follow() -> None:
    pacer = Pacer()
    a, b = stream("a", 3), stream("b", 1)
    pacer.add(a)
    pacer.add(b)
    assert pacer.next_at == 0.0  # at once
    first = pacer.tick(1000.0)
    assert [s.key for s, _ in first.packets] == ["a", "b"] and first.finished == [b]
    assert pacer.next_at == pytest.approx(1000.0 + INTERVAL)
    second = pacer.tick(1000.0 + INTERVAL)
    assert [s.key for s, _ in second.packets] == ["a"]
    p1, p2 = parse(first.packets[0][1]), parse(second.packets[0][1])
    assert p1.marker and not p2.marker  # the talkspurt's first packet is marked
    assert (p1.sequence, p2.sequence) == (65534, 65535)
    assert p2.timestamp - p1.timestamp == FRAME
    assert len(p1.payload) == FRAME and p1.payload_type == 0
    third = pacer.tick(1000.0 + 2 * INTERVAL)
    assert parse(third.packets[0][1]).sequence == 0 and third.finished == [a]


def test_an_early_wakeup_sends_nothing_and_lateness_does_not_accumulate() -> None:
    pacer = Pacer()
    pacer.add(stream("a", 10))
    pacer.tick(0.0)
    assert pacer.tick(0.015).packets == []  # the 20 ms slot is not due
    late = pacer.tick(0.027)  # 7 ms late
    assert len(late.packets) == 1 and late.late == pytest.approx(0.007)
    assert pacer.next_at == pytest.approx(0.040)  # the next slot, not 0.047


def test_missed_slots_advance_the_timestamp_not_the_audio() -> None:
    pacer = Pacer()
    s = stream("a", 10)
    pacer.add(s)
    t0 = parse(pacer.tick(0.0).packets[0][1])
    t1 = parse(pacer.tick(0.061).packets[0][1])  # slots 1 and 2 missed: the loop stalled
    assert t1.timestamp - t0.timestamp == 3 * FRAME
    assert t1.payload == bytes([1]) * FRAME  # the next frame, not one skipped
    assert t1.sequence == t0.sequence + 1


def test_an_idle_stream_keeps_its_clock_and_marks_the_next_talkspurt() -> None:
    pacer = Pacer()
    s = stream("a", 1)
    pacer.add(s)
    t0 = parse(pacer.tick(0.0).packets[0][1])
    assert pacer.tick(0.02).packets == []  # nothing queued: nothing sent
    s.play([b"\x05" * FRAME])
    t2 = parse(pacer.tick(0.04).packets[0][1])
    assert t2.marker and t2.timestamp - t0.timestamp == 2 * FRAME


def test_stop_drops_the_rest_and_removing_the_last_stream_idles_the_pacer() -> None:
    pacer = Pacer()
    s = stream("a", 5)
    pacer.add(s)
    pacer.tick(0.0)
    s.stop()
    assert pacer.tick(0.02).packets == [] and not s.playing
    pacer.remove("a")
    assert pacer.next_at is None and pacer.tick(1.0).packets == []


def test_two_hundred_streams_share_one_tick() -> None:
    pacer = Pacer()
    for i in range(200):
        pacer.add(stream(str(i), 2))
    assert len(pacer.tick(0.0).packets) == 200
