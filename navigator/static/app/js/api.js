// The REST calls the app makes, all to its own origin.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "network", String(err));
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? "http_error",
      error.message ?? response.statusText);
  }
  return data;
}

export const searchPlaces = (q) => call("GET", `/v1/places?q=${encodeURIComponent(q)}&limit=10`);
export const planRoute = (body) => call("POST", "/v1/routes", body);
export const createSession = (body) => call("POST", "/v1/sessions", body);
export const demoBeacons = (geometry) => call("POST", "/v1/demo/beacons", { geometry });

/** Whether the server still holds a session (a reconnect that cannot succeed is not retried).
 *  The session's token goes in a header: only the token's holder may ask. */
export async function sessionExists(id, token) {
  try {
    await call("GET", `/v1/sessions/${encodeURIComponent(id)}/preview`, undefined,
      { "X-Session-Token": token });
    return true;
  } catch (err) {
    if (err.status === 404) return false;
    throw err;
  }
}

/** The verbosity levels the server's published schema takes for a session, if it names the
 *  walker's levels (detailed / normal / decision points); otherwise none is sent. */
export async function verbosityLevels() {
  try {
    const doc = await call("GET", "/openapi.json");
    const levels = doc.components?.schemas?.SessionCreate?.properties?.verbosity?.enum ?? [];
    return levels.includes("decision_points") ? levels : [];
  } catch {
    return [];
  }
}
