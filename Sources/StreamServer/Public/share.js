// Share links: a page URL that carries the track id and a share token in its fragment, so the
// token never reaches a server log or a Referer; the page reads it back and plays the track.
import { api } from "./api.js";

/** Mints a share token for one of the signed-in user's tracks; returns the page link. */
export async function shareLink(trackID, seconds) {
  const minted = await api(`/api/v1/tracks/${trackID}/share`, { method: "POST", body: { expires_in: seconds } });
  const fragment = new URLSearchParams({ track: trackID, share: minted.token });
  return { url: `${location.origin}/#${fragment}`, token: minted.token, expiresAt: new Date(minted.expires_at) };
}

/** The track and token of a share link this page was opened with, or null. */
export function sharedTrackInLocation() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const track = fragment.get("track");
  const share = fragment.get("share");
  return track && share ? { track, share } : null;
}

/** The track resource as a share token's holder sees it: its URLs carry the token. */
export function sharedTrack(trackID, token) {
  return api(`/api/v1/tracks/${encodeURIComponent(trackID)}?share=${encodeURIComponent(token)}`, { anonymous: true });
}
