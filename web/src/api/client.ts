// Calls to the daemon's API. Errors come back as `{ error, message, hint? }`
// (one line and a hint, as on the command line) and are thrown as ApiError.
// Mutating calls carry the token `vnvdimm up` printed in the URL fragment.

const TOKEN_KEY = "vnvdimm.token";

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly hint?: string) {
    super(message);
    this.name = "ApiError";
  }
  get needsToken(): boolean {
    return this.status === 401;
  }
}

/** Moves a `#token=…` fragment into sessionStorage, so the token leaves the address bar and history. */
export function adoptTokenFromLocation(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!m?.[1]) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, "", window.location.pathname + window.location.search);
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  const t = token.trim();
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try { body = await res.json(); } catch { /* not JSON: described below by status */ }
  if (body && typeof body === "object" && "message" in body && typeof body.message === "string") {
    const b = body as { error?: unknown; message: string; hint?: unknown };
    return new ApiError(res.status, typeof b.error === "string" ? b.error : `http-${res.status}`, b.message, typeof b.hint === "string" ? b.hint : undefined);
  }
  return new ApiError(res.status, `http-${res.status}`, `The daemon answered ${res.status} ${res.statusText}`.trim());
}

async function call<T>(method: string, path: string, init: { body?: unknown; operationId?: string; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
  }
  if (init.operationId) headers["X-Operation-Id"] = init.operationId;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), signal: init.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "unreachable", "Cannot reach the vnvdimm daemon", "is `vnvdimm up` still running?");
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const getJson = <T>(path: string, signal?: AbortSignal) => call<T>("GET", path, { signal });

export const postJson = <T>(path: string, body: unknown, operationId?: string) => call<T>("POST", path, { body, operationId });

export const del = <T>(path: string, operationId?: string) => call<T>("DELETE", path, { operationId });

export const enc = encodeURIComponent;
