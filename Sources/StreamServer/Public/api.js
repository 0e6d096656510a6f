// The API client: the bearer token lives in sessionStorage (never in a URL) and rides in the
// Authorization header of every request.
const TOKEN_KEY = "veza.token";

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An API error: the server's `{"error":{"code","message"}}`, or the HTTP status. */
export class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/**
 * Calls the API; JSON in and out. `body` may be an object (sent as JSON) or a Blob (sent raw).
 * `anonymous` leaves the bearer token out (a share link's view of a track).
 */
export async function api(path, { method = "GET", body, headers = {}, signal, anonymous = false } = {}) {
  const init = { method, headers: { ...headers }, signal };
  if (session.token && !anonymous) init.headers.Authorization = `Bearer ${session.token}`;
  if (body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new APIError(response.status, json?.error?.code ?? "http_error", json?.error?.message ?? response.statusText);
  }
  return json;
}
