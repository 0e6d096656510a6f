// The page: sign-in (token, or the development button when the server allows it), then the plan,
// upload, my tracks and the player; a share link (`/#track=…&share=…`) plays its track signed in
// or not.
import { api, session } from "./api.js";
import { loadLimits, Upload, interruptedUploads } from "./upload.js";
import { refreshTracks, loadMore } from "./tracks.js";
import { play, setUpPlayer } from "./player.js";
import { showPlan } from "./plan.js";
import { sharedTrack, sharedTrackInLocation } from "./share.js";

const $ = (id) => document.getElementById(id);

async function signedIn() {
  try {
    const me = await api("/api/v1/me");
    $("whoami").textContent = `Signed in as ${me.user_id} (${me.role})`;
    $("whoami").dataset.userId = me.user_id;
    $("sign-in").hidden = true;
    $("sign-out").hidden = false;
    for (const id of ["upload", "library"]) $(id).hidden = false;
    showPlan().catch((error) => { $("plan-status").textContent = `Plan unavailable: ${error.message}`; });
    const limits = await loadLimits();
    $("limits").textContent =
      `Up to ${limits.audio.max_human}; ${limits.audio.allowed_types.join(", ")}. Sent in ${Math.round(limits.chunk_size / 1048576)} MiB chunks.`;
    const interrupted = interruptedUploads();
    $("resume-hint").textContent = interrupted.length
      ? `Interrupted uploads: ${interrupted.join(", ")}. Pick the same files again to resume them.` : "";
    await refreshTracks();
  } catch (error) {
    session.token = null;
    $("sign-in-error").textContent = `Sign-in failed: ${error.message}`;
  }
}

function startUploads(files) {
  for (const file of files) {
    const upload = new Upload(file, {
      visibility: $("upload-visibility").value,
      list: $("upload-list"),
      onDone: () => refreshTracks(),
    });
    upload.start().catch((error) => upload.say(`Failed: ${error.message}`));
  }
}

function setUp() {
  setUpPlayer();
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    session.token = $("token").value.trim();
    $("token").value = "";
    signedIn();
  });
  $("dev-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const minted = await api("/api/v1/dev/token", { method: "POST", body: { user_id: $("dev-user").value } });
      session.token = minted.token;
      signedIn();
    } catch (error) { $("sign-in-error").textContent = error.message; }
  });
  $("sign-out").addEventListener("click", () => { session.token = null; location.reload(); });
  $("file-input").addEventListener("change", (event) => { startUploads(event.target.files); event.target.value = ""; });
  const zone = $("drop-zone");
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    startUploads(event.dataTransfer.files);
  });
  $("refresh").addEventListener("click", () => refreshTracks());
  $("more").addEventListener("click", () => loadMore());
  api("/api/v1/dev/token").then(() => {
    $("dev-form").hidden = false;
    $("dev-user").value = crypto.randomUUID();
  }, () => {});
  if (session.token) signedIn();
  const shared = sharedTrackInLocation();
  if (shared) {
    sharedTrack(shared.track, shared.share).then(play, (error) => {
      $("player").hidden = false;
      $("now-playing").textContent = `This share link does not work: ${error.message}`;
    });
  }
}

setUp();
