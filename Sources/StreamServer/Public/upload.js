// Uploads through the chunk API: SHA-256 of the file (Web Crypto) sent at create, three chunks in
// flight, progress with speed and time left, pause/resume, and resume after a reload (the upload
// id is kept in localStorage under the file's name, size and date; GET /uploads/{id} says which
// chunks are still missing, so stored chunks are never sent again).
import { api } from "./api.js";

const PENDING_KEY = "veza.pendingUploads";
const IN_FLIGHT = 3;
let limits = null;

export async function loadLimits() {
  limits = await api("/api/v1/upload/limits");
  return limits;
}

function fileKey(file) { return `${file.name}|${file.size}|${file.lastModified}`; }
function pending() { return JSON.parse(localStorage.getItem(PENDING_KEY) ?? "{}"); }
function savePending(map) { localStorage.setItem(PENDING_KEY, JSON.stringify(map)); }
function forget(file) { const map = pending(); delete map[fileKey(file)]; savePending(map); }

/** Names of uploads interrupted by a reload, to ask for the same files again. */
export function interruptedUploads() { return Object.values(pending()).map((entry) => entry.name); }

async function sha256Hex(file) {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** One file's upload, with its row in the list. */
export class Upload {
  constructor(file, { visibility, list, onDone }) {
    this.file = file;
    this.visibility = visibility;
    this.onDone = onDone;
    this.paused = false;
    this.row = document.createElement("li");
    this.row.innerHTML = `<div class="row"><strong></strong><button type="button" class="pause">Pause</button></div>
      <progress max="100" value="0" aria-label="Upload progress"></progress>
      <p class="hint upload-status" aria-live="polite"></p>`;
    this.row.querySelector("strong").textContent = file.name;
    this.progress = this.row.querySelector("progress");
    this.status = this.row.querySelector(".upload-status");
    this.pauseButton = this.row.querySelector(".pause");
    this.pauseButton.addEventListener("click", () => this.togglePause());
    list.prepend(this.row);
  }

  say(text) { this.status.textContent = text; }

  togglePause() {
    this.paused = !this.paused;
    this.pauseButton.textContent = this.paused ? "Resume" : "Pause";
    if (this.paused) { this.say("Paused"); } else { this.run(); }
  }

  async start() {
    const max = limits?.audio?.max_bytes;
    if (max && this.file.size > max) {
      this.say(`Refused: ${formatBytes(this.file.size)} is over the ${limits.audio.max_human} limit. Nothing was sent.`);
      this.row.classList.add("error");
      this.pauseButton.hidden = true;
      return;
    }
    const known = pending()[fileKey(this.file)];
    if (known) {
      try {
        const state = await api(`/api/v1/uploads/${known.id}`);
        if (state.status === "receiving") {
          this.session = { id: state.id, chunkSize: state.chunk_size, total: state.total_chunks };
          this.missing = state.missing_chunks;
          this.say(`Resuming: ${state.received_chunks.length} of ${state.total_chunks} chunks already stored`);
        }
      } catch { forget(this.file); }
    }
    if (!this.session) {
      this.say("Computing SHA-256…");
      const sha256 = await sha256Hex(this.file);
      const created = await api("/api/v1/uploads", {
        method: "POST",
        body: {
          filename: this.file.name, size: this.file.size, sha256,
          content_type: this.file.type || undefined, visibility: this.visibility,
        },
      });
      this.session = { id: created.id, chunkSize: created.chunk_size, total: created.total_chunks };
      this.missing = Array.from({ length: created.total_chunks }, (_, i) => i);
      const map = pending();
      map[fileKey(this.file)] = { id: created.id, name: this.file.name };
      savePending(map);
    }
    this.row.dataset.uploadId = this.session.id;
    this.done = this.session.total - this.missing.length;
    this.startedAt = performance.now();
    this.sentBytes = 0;
    this.update();
    await this.run();
  }

  update() {
    const percent = this.session.total === 0 ? 100 : Math.round((this.done / this.session.total) * 100);
    this.progress.value = percent;
    this.progress.setAttribute("aria-valuetext", `${percent} %`);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const speed = seconds > 0 ? this.sentBytes / seconds : 0;
    const left = this.missing.length * this.session.chunkSize;
    const eta = speed > 0 ? `${Math.ceil(left / speed)} s left` : "";
    this.say(`${percent} % · ${formatBytes(speed)}/s ${eta}`);
  }

  async run() {
    if (this.running) return;
    this.running = true;
    try {
      const worker = async () => {
        while (!this.paused && this.missing.length > 0) {
          const index = this.missing.shift();
          const start = index * this.session.chunkSize;
          const chunk = this.file.slice(start, Math.min(start + this.session.chunkSize, this.file.size));
          try {
            await api(`/api/v1/uploads/${this.session.id}/chunks/${index}`, { method: "PUT", body: chunk });
          } catch (error) {
            this.missing.unshift(index);
            throw error;
          }
          this.done += 1;
          this.sentBytes += chunk.size;
          this.update();
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      if (this.paused) return;
      this.say("Verifying…");
      const completed = await api(`/api/v1/uploads/${this.session.id}/complete`, { method: "POST" });
      forget(this.file);
      this.progress.value = 100;
      this.pauseButton.hidden = true;
      this.say("Uploaded: processing");
      this.row.dataset.trackId = completed.track.id;
      this.onDone?.(completed.track);
    } catch (error) {
      this.say(`Failed: ${error.message}. Pick the file again to resume.`);
      this.row.classList.add("error");
    } finally {
      this.running = false;
    }
  }
}
