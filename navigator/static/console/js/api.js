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

/** One call (a body as JSON, or ``yaml`` text as it is); the answer as {data, headers}; a
 * 4xx/5xx as ApiError with the server's message. */
export async function request(method, path, { body, yaml, ifMatch, raw } = {}) {
  const headers = {};
  const key = savedKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (yaml !== undefined) headers["Content-Type"] = "application/yaml";
  if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: "no-store",
      body: yaml ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch (err) {
    throw new ApiError(0, "network", `The server did not answer (${err}).`);
  }
  if (raw && response.ok) return { data: await response.blob(), headers: response.headers };
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? "http_error",
      error.message ?? response.statusText, data);
  }
  return { data, headers: response.headers };
}

export const get = async (path) => (await request("GET", path)).data;
export const post = async (path, body) => (await request("POST", path, { body })).data;
