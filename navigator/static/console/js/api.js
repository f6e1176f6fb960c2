// The REST calls of the console, all to its own origin, with the key of this browser tab.
// The key lives in sessionStorage only: closing the tab forgets it.

const KEY = "blindpilot.console.key";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export const savedKey = () => sessionStorage.getItem(KEY);
export const saveKey = (key) => sessionStorage.setItem(KEY, key);
export const forgetKey = () => sessionStorage.removeItem(KEY);

/** The request's headers: the tab's key, the body's type, ``If-Match``, ``Accept``. */
function headersFor({ body, yaml, ifMatch, accept }) {
  const headers = {};
  const key = savedKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (yaml !== undefined) headers["Content-Type"] = "application/yaml";
  if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
  if (accept !== undefined) headers.Accept = accept;
  return headers;
}

async function send(method, path, options) {
  const { body, yaml } = options;
  try {
    return await fetch(path, {
      method, headers: headersFor(options), cache: "no-store",
      body: yaml ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch (err) {
    throw new ApiError(0, "network", `The server did not answer (${err}).`);
  }
}

/** A 4xx/5xx answer as ApiError with the server's message. */
function failure(response, data) {
  const error = data?.error ?? {};
  return new ApiError(response.status, error.code ?? "http_error",
    error.message ?? response.statusText, data);
}

/** One call (a body as JSON, or ``yaml`` text as it is); the answer as {data, headers}; a
 * 4xx/5xx as ApiError with the server's message. */
export async function request(method, path, { body, yaml, ifMatch, raw } = {}) {
  const response = await send(method, path, { body, yaml, ifMatch });
  if (raw && response.ok) return { data: await response.blob(), headers: response.headers };
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw failure(response, data);
  return { data, headers: response.headers };
}

/** A call answered in NDJSON: ``onLine`` gets each line's object as soon as it arrives (what it
 * throws ends the reading); a refusal is an ApiError before any line. */
export async function stream(method, path, { body, yaml } = {}, onLine) {
  const response = await send(method, path, { body, yaml, accept: "application/x-ndjson" });
  if (!response.ok) throw failure(response, await response.json().catch(() => null));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (err) {
      throw new ApiError(0, "network", `The connection broke off (${err}).`);
    }
    pending += chunk.value ?? "";
    const lines = pending.split("\n");
    pending = chunk.done ? "" : lines.pop();
    for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
    if (chunk.done) return;
  }
}

export const get = async (path) => (await request("GET", path)).data;
export const post = async (path, body) => (await request("POST", path, { body })).data;
