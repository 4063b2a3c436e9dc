// The offer alert: a soft two-note chime made with WebAudio (no audio files).

const KEY = "hotline.sound";
let ctx = null;

export function soundOn() {
  return localStorage.getItem(KEY) !== "off";
}

export function setSound(on) {
  localStorage.setItem(KEY, on ? "on" : "off");
}

/** Browsers only allow audio after a user gesture: call this from any click or key press. */
export function unlockAudio() {
  try {
    ctx = ctx || new AudioContext();
    if (ctx.state === "suspended") ctx.resume();
  } catch {
    ctx = null;
  }
}

export function chime() {
  if (!soundOn()) return;
  try {
    ctx = ctx || new AudioContext();
    if (ctx.state === "suspended") ctx.resume();
    const start = ctx.currentTime + 0.01;
    [
      [880, 0],
      [660, 0.16],
    ].forEach(([freq, offset]) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.18, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.3);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.32);
    });
    window.__hotlineChimes = (window.__hotlineChimes || 0) + 1; // lets tests see it rang
  } catch {
    // No audio device: the visual alert is enough.
  }
}
