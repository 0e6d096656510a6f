// My tracks: the list with live status (polled while any is processing), rename, visibility,
// delete, play and share links.
import { api } from "./api.js";
import { play, playOwnTrack } from "./player.js";
import { shareLink } from "./share.js";

const list = () => document.getElementById("track-list");
let nextCursor = null;
let pollTimer = null;

export async function refreshTracks({ append = false } = {}) {
  const query = append && nextCursor ? `?limit=20&cursor=${encodeURIComponent(nextCursor)}` : "?limit=20";
  const page = await api(`/api/v1/me/tracks${query}`);
  if (!append) list().replaceChildren();
  for (const track of page.tracks) list().append(row(track));
  nextCursor = page.next_cursor;
  document.getElementById("more").hidden = !nextCursor;
  clearTimeout(pollTimer);
  if (page.tracks.some((t) => t.status === "processing")) pollTimer = setTimeout(() => refreshTracks(), 2000);
}

export function loadMore() { return refreshTracks({ append: true }); }

function row(track) {
  const item = document.createElement("li");
  item.dataset.trackId = track.id;
  item.dataset.status = track.status;
  const titleID = `title-${track.id}`;
  const visID = `vis-${track.id}`;
  const shareID = `share-${track.id}`;
  const linkID = `link-${track.id}`;
  item.innerHTML = `
    <div class="row">
      <span class="status status-${track.status}"></span>
      <label class="sr" for="${titleID}">Title</label>
      <input type="text" id="${titleID}" class="title">
      <button type="button" class="rename">Rename</button>
    </div>
    <div class="row">
      <label for="${visID}">Visibility</label>
      <select id="${visID}" class="visibility">
        <option>public</option><option>unlisted</option><option>private</option>
      </select>
      <button type="button" class="play">Play</button>
      <button type="button" class="delete">Delete</button>
    </div>
    <div class="row">
      <label for="${shareID}">Share link valid for</label>
      <select id="${shareID}" class="share-ttl">
        <option value="3600">1 hour</option><option value="86400">1 day</option>
        <option value="604800" selected>7 days</option><option value="2592000">30 days</option>
      </select>
      <button type="button" class="share">Copy share link</button>
    </div>
    <div class="row" hidden>
      <label class="sr" for="${linkID}">Share link</label>
      <input type="text" id="${linkID}" class="share-link" readonly>
    </div>
    <p class="hint message" aria-live="polite"></p>`;
  const status = item.querySelector(".status");
  status.textContent = track.status + (track.failure_reason ? `: ${track.failure_reason}` : "");
  item.querySelector(".title").value = track.title;
  item.querySelector(".visibility").value = track.visibility;
  const message = item.querySelector(".message");
  const say = (text) => { message.textContent = text; };
  const playButton = item.querySelector(".play");
  playButton.disabled = track.status !== "ready";
  playButton.addEventListener("click", async () => {
    try {
      // A private track's URLs need the owner's credentials, which an <audio> element cannot send
      // in a header: it plays through a short-lived share token instead.
      if (track.visibility === "private") await playOwnTrack(track); else await play(track);
    } catch (error) { say(error.message); }
  });
  const shareButton = item.querySelector(".share");
  shareButton.disabled = track.status !== "ready";
  shareButton.addEventListener("click", async () => {
    try {
      const seconds = Number(item.querySelector(".share-ttl").value);
      const { url, expiresAt } = await shareLink(track.id, seconds);
      const field = item.querySelector(".share-link");
      field.value = url;
      field.parentElement.hidden = false;
      let copied = false;
      try { await navigator.clipboard.writeText(url); copied = true; } catch { field.select(); }
      say(`${copied ? "Link copied" : "Copy the link below"}; it works until ${expiresAt.toLocaleString()}.`);
    } catch (error) { say(error.message); }
  });
  item.querySelector(".rename").addEventListener("click", async () => {
    try {
      const updated = await api(`/api/v1/tracks/${track.id}`, {
        method: "PATCH", body: { title: item.querySelector(".title").value },
      });
      track.title = updated.title;
      say("Renamed");
    } catch (error) { say(error.message); }
  });
  item.querySelector(".visibility").addEventListener("change", async (event) => {
    try {
      const updated = await api(`/api/v1/tracks/${track.id}`, { method: "PATCH", body: { visibility: event.target.value } });
      track.visibility = updated.visibility;
      say(`Now ${updated.visibility}`);
    } catch (error) { say(error.message); event.target.value = track.visibility; }
  });
  item.querySelector(".delete").addEventListener("click", async () => {
    if (!confirm(`Delete “${track.title}”? This cannot be undone.`)) return;
    try { await api(`/api/v1/tracks/${track.id}`, { method: "DELETE" }); item.remove(); } catch (error) { say(error.message); }
  });
  return item;
}
