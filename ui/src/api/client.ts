// The one way the UI talks to the server: same-origin fetch with the session cookie, the
// project header, and the CSRF header on every state-changing method (double-submit cookie:
// the server compares the header to the theodolite_csrf cookie it set at sign-in).

export const CSRF_COOKIE = "theodolite_csrf";
export const PROJECT_HEADER = "X-Theodolite-Project";
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Seconds to wait, from Retry-After (429, 503), else null. */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let currentProject: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** The project every request is made in (null: the server's default for the user). */
export function setApiProject(project: string | null): void {
  currentProject = project;
}

/** Called when a request answers 401 outside sign-in: the session ended or was revoked. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const when = Date.parse(value); // the HTTP-date form
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - now) / 1000));
}

async function errorFrom(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body?.error?.message) message = body.error.message;
    else if (typeof body?.detail === "string") message = body.detail;
  } catch {
    // Not JSON (a proxy's error page): the status line says enough.
  }
  return new ApiError(response.status, message, parseRetryAfter(response.headers.get("Retry-After")));
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not treat 401 as "signed out" (the sign-in and who-am-I calls handle it themselves). */
  expectUnauthorized?: boolean;
  /** Answer the body as text, unparsed (the trace page parses big documents in a worker). */
  asText?: boolean;
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = (options.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (currentProject) headers[PROJECT_HEADER] = currentProject;
  if (UNSAFE_METHODS.has(method)) {
    const token = readCookie(CSRF_COOKIE);
    if (token) headers["X-CSRF-Token"] = token;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "The server cannot be reached. Check that Theodolite is running.");
  }
  if (!response.ok) {
    if (response.status === 401 && !options.expectUnauthorized) onUnauthorized?.();
    throw await errorFrom(response);
  }
  if (response.status === 204) return undefined as T;
  if (options.asText) return (await response.text()) as T;
  return (await response.json()) as T;
}
