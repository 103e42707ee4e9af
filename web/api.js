// SPDX-License-Identifier: LGPL-2.1-or-later
// The oly HTTP API as seen from the page: one fetch wrapper that turns every failure into an ApiError
// carrying the API's {"error":{"code","message"}} (or a network error), and tells the app about 401s.

export class ApiError extends Error {
        constructor(status, code, message, retryAfter = null) {
                super(message);
                this.name = 'ApiError';
                this.status = status; // 0 = the request never got an HTTP answer (network down)
                this.code = code;
                this.retryAfter = retryAfter; // seconds, from Retry-After on 429
        }

        get network() {
                return this.status === 0;
        }
}

let unauthorizedHandler = () => {};

// Called with the ApiError whenever an authenticated request answers 401 (token missing, expired, revoked).
export function onUnauthorized(fn) {
        unauthorizedHandler = fn;
}

export async function api(method, path, body, { auth = true, raw = false } = {}) {
        const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
        if (body !== undefined) {
                init.headers['Content-Type'] = 'application/json';
                init.body = JSON.stringify(body);
        }
        let res;
        try {
                res = await fetch(path, init);
        } catch {
                throw new ApiError(0, 'network', 'Cannot reach the oly server: the network or the server is down.');
        }
        if (res.ok) {
                if (raw) return res;
                if (res.status === 204) return null;
                const text = await res.text();
                return text ? JSON.parse(text) : null;
        }

        let code = `http_${res.status}`;
        let message = `${res.status} ${res.statusText || 'error'}`.trim();
        try {
                const data = await res.json();
                if (data && data.error) {
                        code = data.error.code || code;
                        message = data.error.message || message;
                }
        } catch {
                /* not JSON (a proxy's error page): keep the status line */
        }
        if (res.status === 503 && code === `http_503`) code = 'unavailable';
        const retry = Number.parseInt(res.headers.get('Retry-After') || '', 10);
        const err = new ApiError(res.status, code, message, Number.isFinite(retry) ? retry : null);
        if (res.status === 401 && auth) unauthorizedHandler(err);
        throw err;
}

// One line for a person, for any error thrown by api().
export function describeError(err) {
        if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
        if (err.network) return err.message;
        switch (err.status) {
        case 503:
                return `The oly daemon is unavailable: ${err.message}`;
        case 401:
                return `Not logged in: ${err.message}`;
        default:
                return err.message;
        }
}

export const sessionPath = (id) => `/api/sessions/${encodeURIComponent(id)}`;
