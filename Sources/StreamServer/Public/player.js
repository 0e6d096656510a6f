// The player: native HLS where the browser says it can (Safari, current Chromium), else the
// progressive /stream; the waveform drawn from waveform.json, clickable to seek; loudness; keys.
import { api } from "./api.js";
import { shareLink, sharedTrack } from "./share.js";

const audio = () => document.getElementById("audio");
const canvas = () => document.getElementById("waveform");
let peaks = [];

export function playsHLS() { return audio().canPlayType("application/vnd.apple.mpegurl") !== ""; }

export async function play(track) {
  document.getElementById("player").hidden = false;
  const element = audio();
  document.getElementById("now-playing").textContent = `Now playing: ${track.title}`;
  element.src = track.hls && playsHLS() ? track.hls.master : track.stream;
  element.dataset.trackId = track.id;
  element.dataset.durationMs = track.duration_ms ?? "";
  const lufs = track.loudness?.integrated_lufs;
  const peak = track.loudness?.true_peak_dbtp;
  document.getElementById("loudness").textContent =
    lufs == null ? "" : `Loudness ${lufs.toFixed(1)} LUFS, true peak ${peak?.toFixed(1) ?? "?"} dBTP`;
  peaks = [];
  draw();
  if (track.waveform) {
    try { peaks = normalise(await api(track.waveform)); } catch { peaks = []; }
    draw();
  }
  try { await element.play(); } catch { /* autoplay refused: the controls remain */ }
}

/**
 * Plays one of the signed-in user's private tracks: through a share token that lives as long as
 * the track with margin (at least an hour), because an <audio> element cannot send a bearer token.
 */
export async function playOwnTrack(track) {
  const seconds = Math.min(86400, Math.max(3600, Math.ceil((track.duration_ms ?? 0) / 1000) * 2));
  const { token } = await shareLink(track.id, seconds);
  await play(await sharedTrack(track.id, token));
}

// audiowaveform JSON: `data` holds min/max pairs per pixel (8- or 16-bit).
function normalise(json) {
  const data = json?.data ?? [];
  const scale = json?.bits === 16 ? 32768 : 128;
  const out = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push(Math.max(Math.abs(data[i]), Math.abs(data[i + 1])) / scale);
  return out;
}

function draw() {
  const c = canvas();
  const ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  const played = audio().duration ? audio().currentTime / audio().duration : 0;
  const bars = peaks.length;
  for (let x = 0; x < c.width; x += 1) {
    const value = bars ? peaks[Math.floor((x / c.width) * bars)] : 0.02;
    const h = Math.max(1, value * c.height);
    ctx.fillStyle = x / c.width < played ? "#2f6fde" : "#8888";
    ctx.fillRect(x, (c.height - h) / 2, 1, h);
  }
}

function seekBy(seconds) {
  const element = audio();
  if (!Number.isFinite(element.duration)) return;
  element.currentTime = Math.min(Math.max(0, element.currentTime + seconds), element.duration);
}

export function setUpPlayer() {
  const element = audio();
  element.addEventListener("timeupdate", draw);
  element.addEventListener("loadedmetadata", draw);
  canvas().addEventListener("click", (event) => {
    const rect = canvas().getBoundingClientRect();
    if (Number.isFinite(element.duration)) {
      element.currentTime = ((event.clientX - rect.left) / rect.width) * element.duration;
    }
  });
  document.addEventListener("keydown", (event) => {
    const tag = event.target?.tagName;
    if (["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(tag) || document.getElementById("player").hidden) return;
    if (event.key === " ") { event.preventDefault(); if (element.paused) element.play(); else element.pause(); }
    if (event.key === "ArrowLeft") { event.preventDefault(); seekBy(-5); }
    if (event.key === "ArrowRight") { event.preventDefault(); seekBy(5); }
  });
}
