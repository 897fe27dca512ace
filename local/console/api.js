// The support console's only way to the data: the operator routes of the HTTP API, under /v1 (docs/api.md).
// Every route it uses is in ROUTES, in one place.

export const ROUTES = {
  search: { method: 'GET', path: '/v1/subscribers' }, // ?msisdn=+33...
  profile: { method: 'GET', path: '/v1/subscribers/{id}' },
  usage: { method: 'GET', path: '/v1/subscribers/{id}/usage' }, // ?period=YYYY-MM-DD
  consent: { method: 'POST', path: '/v1/subscribers/{id}/consent' },
  caps: { method: 'PUT', path: '/v1/subscribers/{id}/caps' },
  resend: { method: 'POST', path: '/v1/subscribers/{id}/last-message/resend' },
};

/** An answer that is not a success: RFC 9457 problem details when the API gives them. */
export class ApiError extends Error {
  constructor(status, problem) {
    // RFC 9457 problem details as the API writes them: title, detail, and `errors` naming each bad field.
    const fields = Array.isArray(problem?.errors) ? problem.errors.map((f) => `${f.path}: ${f.message}`).join('; ') : '';
    const text = [problem?.title ?? `HTTP ${status}`, problem?.detail, fields].filter((t) => t).join(': ');
    super(text);
    this.status = status;
    this.problem = problem ?? {};
    this.code = problem?.code ?? '';
  }
}

function pathOf(route, params) {
  return route.path.replace('{id}', encodeURIComponent(params.id ?? ''));
}

export function createClient(base = '', fetchImpl = globalThis.fetch.bind(globalThis), routes = ROUTES) {
  async function call(name, params = {}, { query, body, etag } = {}) {
    const route = routes[name];
    if (route === undefined) throw new ApiError(501, { title: 'Not offered by this API', detail: `no ${name} route` });
    const search = query === undefined ? '' : `?${new URLSearchParams(query)}`;
    const headers = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (etag !== undefined && etag !== null) headers['if-match'] = etag;
    const response = await fetchImpl(`${base}${pathOf(route, params)}${search}`, { method: route.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let json;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = { title: text.slice(0, 200) };
    }
    if (!response.ok) throw new ApiError(response.status, json);
    return { body: json, etag: response.headers.get('etag') };
  }

  return {
    routes,
    has: (name) => routes[name] !== undefined,
    async searchByPhone(msisdn) {
      return (await call('search', {}, { query: { msisdn } })).body.subscribers ?? [];
    },
    profile: (id) => call('profile', { id }),
    async usage(id, period) {
      return (await call('usage', { id }, period === undefined ? {} : { query: { period } })).body;
    },
    /** `at`: when the subscriber consented, on the API's clock (see console.js). */
    recordConsent(id, { bucket, who, channel, reason, at = new Date() }, etag) {
      // The operator route requires the consent statement (who, when, how) and the agent's reason.
      const body = { bucket, consent: { who, at: at.toISOString().replace(/\.\d+Z$/, 'Z'), channel }, reason };
      return call('consent', { id }, { body, etag });
    },
    changeLimit(id, { bucket, limitMicros, reason }, etag) {
      const cap = bucket === 'roaming' ? 'roamingCap' : 'overageCap';
      const body = { [cap]: { limitMicros }, reason };
      return call('caps', { id }, { body, etag });
    },
    resendLast(id, { channel, reason }) {
      return call('resend', { id }, { body: { ...(channel ? { channel } : {}), reason } });
    },
  };
}

/** The client for the API at `base` (the page's own origin when empty). */
export async function connect(base = '', fetchImpl = globalThis.fetch.bind(globalThis)) {
  return createClient(base, fetchImpl);
}

/** EUR text of integer micros (EUR 1 = 1,000,000), never through a float sum. */
export function eur(micros) {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const cents = Math.round(abs / 10_000);
  return `${sign}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** Micros of a EUR amount typed by a person ("20", "20.5", "20,50"); undefined when it is not one. */
export function microsOf(text) {
  const match = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(2, '0')) * 10_000;
}

/** The start of the billing period before the one starting on `start` (YYYY-MM-DD), for the cycle day. */
export function previousPeriod(start, cycleDay) {
  const [y, m] = start.split('-').map(Number);
  const year = m === 1 ? y - 1 : y;
  const month = m === 1 ? 12 : m - 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(cycleDay, last)).padStart(2, '0')}`;
}
