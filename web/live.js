// SPDX-License-Identifier: LGPL-2.1-or-later
// The live session list: one EventSource on /api/events (snapshot, then session.* events) feeding a Map of
// Session objects by id, plus older pages and server-side searches fetched on demand from GET /api/sessions.
// When the stream breaks for good (401, 503, network) it finds out why and reconnects with backoff.

import { api, ApiError } from './api.js';

const EVENT_TYPES = ['session.created', 'session.updated', 'session.exited', 'session.input_needed'];
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15000;
const PAGE_LIMIT = 200;

export const ACTIVE_STATUSES = new Set(['created', 'running', 'stopping']);

export class LiveSessions {
        constructor() {
                this.sessions = new Map();
                this.ready = false; // true once a snapshot arrived
                this.state = 'idle'; // idle | connecting | live | reconnecting | unavailable | offline
                this.more = true; // whether older sessions may exist beyond what we hold
                this._cursor = undefined; // undefined = paging not started; null = no more pages
                this._es = null;
                this._retryMs = RETRY_MIN_MS;
                this._retryTimer = null;
                this._listeners = new Set();
                this._stateListeners = new Set();
                this._onOnline = () => {
                        if (this._retryTimer) this._reconnectNow();
                };
        }

        // fn(changedIds | null) — null means "everything may have changed" (snapshot).
        subscribe(fn) {
                this._listeners.add(fn);
                return () => this._listeners.delete(fn);
        }

        onState(fn) {
                this._stateListeners.add(fn);
                return () => this._stateListeners.delete(fn);
        }

        get(id) {
                return this.sessions.get(id);
        }

        start() {
                if (this._es) return;
                window.addEventListener('online', this._onOnline);
                this._open();
        }

        stop() {
                window.removeEventListener('online', this._onOnline);
                clearTimeout(this._retryTimer);
                this._retryTimer = null;
                if (this._es) this._es.close();
                this._es = null;
                this.sessions.clear();
                this.ready = false;
                this._cursor = undefined;
                this.more = true;
                this._setState('idle');
        }

        // Merges a Session object from any source (event, REST answer) and tells the listeners.
        upsert(s) {
                if (!s || typeof s.id !== 'string') return;
                const prev = this.sessions.get(s.id);
                const next = prev ? { ...prev, ...s } : { ...s };
                this.sessions.set(s.id, next);
                this._emit([s.id]);
        }

        // Fetches the next page of older sessions (GET /api/sessions, newest first, cursor in "next").
        async loadOlder() {
                if (this._cursor === null) return 0;
                let added = 0;
                // The first page overlaps the snapshot; keep paging until something new shows up.
                for (let pages = 0; pages < 50; pages++) {
                        const q = new URLSearchParams({ limit: String(PAGE_LIMIT) });
                        if (this._cursor) q.set('before', this._cursor);
                        const page = await api('GET', `/api/sessions?${q}`);
                        added += this._merge(page.sessions || []);
                        this._cursor = page.next || null;
                        if (added > 0 || this._cursor === null) break;
                }
                this.more = this._cursor !== null;
                this._emit(null);
                return added;
        }

        // Asks the server for sessions matching a search (so old ones beyond the snapshot are found too).
        async searchServer(search, statuses) {
                const q = new URLSearchParams({ limit: String(PAGE_LIMIT) });
                if (search) q.set('search', search);
                for (const s of statuses || []) q.append('status', s);
                const page = await api('GET', `/api/sessions?${q}`);
                const added = this._merge(page.sessions || []);
                if (added) this._emit(null);
                return added;
        }

        _merge(list) {
                let added = 0;
                for (const s of list) {
                        if (!s || typeof s.id !== 'string') continue;
                        const prev = this.sessions.get(s.id);
                        // A live event may be newer than a page fetched a moment ago: keep the live copy.
                        if (!prev) {
                                this.sessions.set(s.id, s);
                                added++;
                        }
                }
                return added;
        }

        _open() {
                this._setState(this.ready ? 'reconnecting' : 'connecting');
                const es = new EventSource('/api/events', { withCredentials: true });
                this._es = es;
                es.addEventListener('open', () => {
                        this._retryMs = RETRY_MIN_MS;
                        // A resumed stream (Last-Event-ID) replays what was missed instead of a new snapshot.
                        if (this.ready) this._setState('live');
                });
                es.addEventListener('snapshot', (ev) => {
                        const data = parse(ev.data);
                        if (!data) return;
                        this.sessions.clear();
                        for (const s of data.sessions || []) if (s && s.id) this.sessions.set(s.id, s);
                        this.ready = true;
                        this._cursor = undefined;
                        this.more = (data.sessions || []).length >= PAGE_LIMIT;
                        this._setState('live');
                        this._emit(null);
                });
                for (const type of EVENT_TYPES) {
                        es.addEventListener(type, (ev) => {
                                const s = parse(ev.data);
                                if (!s) return;
                                if (type === 'session.input_needed') s.input_needed = true;
                                this.upsert(s);
                                if (this.state !== 'live' && this.ready) this._setState('live');
                        });
                }
                es.addEventListener('error', () => {
                        if (es !== this._es) return;
                        if (es.readyState === EventSource.CLOSED) {
                                // The browser gave up (non-200 answer): find out why, then retry ourselves.
                                es.close();
                                this._es = null;
                                this._diagnoseAndRetry();
                        } else {
                                // The browser retries by itself (with Last-Event-ID); say so, and check whether
                                // the daemon or the network is the reason.
                                this._setState('reconnecting');
                                this._probe();
                        }
                });
        }

        async _probe() {
                try {
                        await api('GET', '/api/health', undefined, { auth: false });
                        // Server and daemon are up; a 401 on a protected call sends the app to the login page.
                        await api('GET', '/api/nodes');
                        return 'ok';
                } catch (err) {
                        if (err instanceof ApiError) {
                                if (err.network) this._setState('offline');
                                else if (err.status === 503) this._setState('unavailable');
                                return err.status === 401 ? 'unauthorized' : 'error';
                        }
                        return 'error';
                }
        }

        async _diagnoseAndRetry() {
                const r = await this._probe();
                if (r === 'unauthorized') return; // the app's 401 handler stops us and shows the login page
                if (this.state === 'idle') return; // stopped meanwhile
                if (r === 'ok') this._setState('reconnecting');
                this._scheduleRetry();
        }

        _scheduleRetry() {
                clearTimeout(this._retryTimer);
                const delay = this._retryMs * (0.8 + Math.random() * 0.4);
                this._retryMs = Math.min(this._retryMs * 2, RETRY_MAX_MS);
                this._retryTimer = setTimeout(() => {
                        this._retryTimer = null;
                        this._open();
                }, delay);
        }

        _reconnectNow() {
                clearTimeout(this._retryTimer);
                this._retryTimer = null;
                this._retryMs = RETRY_MIN_MS;
                this._open();
        }

        _setState(state) {
                if (state === this.state) return;
                this.state = state;
                for (const fn of this._stateListeners) fn(state);
        }

        _emit(ids) {
                for (const fn of this._listeners) fn(ids);
        }
}

function parse(text) {
        try {
                return JSON.parse(text);
        } catch {
                return null;
        }
}
