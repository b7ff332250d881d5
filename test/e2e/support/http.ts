/**
 * Plain `fetch` against the server, for what an SDK cannot send (malformed JSON, other methods,
 * missing keys) and for checking raw headers.
 */
import { DEFAULT_API_KEY } from '../sdks.js';

export interface HttpRequest {
  method?: string;
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown;
  /** Sent as is (set the content type in `headers`). */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Bearer key; `null` sends no Authorization header. */
  apiKey?: string | null;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/** `path` is relative to the `/v1` base URL, e.g. `/assistants`. */
export async function http(baseURL: string, path: string, req: HttpRequest = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...req.headers };
  const apiKey = req.apiKey === undefined ? DEFAULT_API_KEY : req.apiKey;
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  let body: string | Uint8Array | undefined = req.body;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseURL}${path}`, { method: req.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
