// SPDX-License-Identifier: LGPL-2.1-or-later
// oly's browser UI: login, the live sessions list, starting sessions, and one session's terminal and logs.
// Routes live in the hash (#/ and #/sessions/<id>) because the server serves only index.html at "/".

import { api, ApiError, describeError, onUnauthorized, sessionPath } from './api.js';
import { LiveSessions, ACTIVE_STATUSES } from './live.js';
import { AttachedTerminal, terminalText } from './attach.js';
import { PushControl } from './push.js';

const MAX_ROWS = 500; // rows rendered at once; the rest is reached by searching
const SEARCH_DEBOUNCE_MS = 300;
const ENDED_STATUSES = new Set(['stopped', 'killed', 'failed']);

const $ = (id) => document.getElementById(id);

const app = {
        auth: null, // the last /api/auth/status answer
        live: new LiveSessions(),
        started: false,
        view: null,
        term: null, // AttachedTerminal of the session page
        sessionId: null,
        pendingAction: false, // a Stop or Kill request is in flight
        rowCache: new Map(), // id -> <tr>
        push: new PushControl(), // this browser's Web Push subscription
};

// Test and debugging hooks (read by test/web/ui.test.mjs).
window.__olyTerm = null;
window.__olyTermText = () => terminalText(window.__olyTerm);
window.__oly = app;

/* ---------- small DOM helpers ---------- */

function el(tag, props = {}, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(props)) {
                if (v === undefined || v === null || v === false) continue;
                if (k === 'class') e.className = v;
                else if (k === 'text') e.textContent = v;
                else if (k === 'dataset') Object.assign(e.dataset, v);
                else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
                else e.setAttribute(k, v === true ? '' : v);
        }
        for (const c of children) if (c !== null && c !== undefined) e.append(c);
        return e;
}

function show(node, visible) {
        node.hidden = !visible;
}

function setError(node, text) {
        node.textContent = text || '';
        show(node, Boolean(text));
}

function toast(text, kind = 'info', ms = 5000) {
        const t = el('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', text });
        $('toasts').append(t);
        setTimeout(() => t.classList.add('toast-out'), ms - 500);
        setTimeout(() => t.remove(), ms);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// A server message as a sentence: capitalised, ending with a full stop.
function sentence(text) {
        const t = String(text).trim();
        if (!t) return '';
        return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}

function fmtTime(iso) {
        if (!iso) return '—';
        const d = new Date(iso);
        if (Number.isNaN(d.getTime())) return iso;
        const now = new Date();
        const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
        if (d.toDateString() === now.toDateString()) return hms;
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

function shellQuote(w) {
        if (w === '') return "''";
        return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`;
}

function commandLine(s) {
        return [s.command, ...(s.args || [])].filter((w) => w !== undefined && w !== null).map(shellQuote).join(' ');
}

function statusBadge(node, status) {
        node.textContent = status || 'unknown';
        node.className = `badge status-${status || 'unknown'}`;
        node.dataset.status = status || 'unknown';
}

/* ---------- banner and connection state ---------- */

const CONN_TEXT = {
        idle: '',
        connecting: 'Connecting…',
        live: 'Live',
        reconnecting: 'Reconnecting…',
        unavailable: 'Daemon unavailable',
        offline: 'Offline',
};

function setConn(state) {
        const c = $('conn');
        c.dataset.state = state;
        c.textContent = CONN_TEXT[state] ?? state;
        if (state === 'unavailable') banner('The oly daemon is not reachable (503). Retrying…', 'unavailable');
        else if (state === 'offline') banner('Cannot reach the oly server: the network or the server is down. Retrying…', 'offline');
        else if (state === 'live' || state === 'idle') banner(null);
}

function banner(text, kind = 'error') {
        const b = $('banner');
        b.textContent = text || '';
        b.dataset.kind = kind;
        show(b, Boolean(text));
}

/* ---------- auth ---------- */

async function boot() {
        onUnauthorized(() => goLogin());
        app.live.onState((state) => {
                setConn(state);
                if (app.view === 'list') scheduleListRender();
        });
        app.live.subscribe((ids) => {
                if (app.view === 'list') scheduleListRender();
                if (app.view === 'session' && (ids === null || ids.includes(app.sessionId))) renderSessionHead();
        });
        window.addEventListener('hashchange', route);
        $('logout').addEventListener('click', logout);
        $('login-form').addEventListener('submit', login);
        $('new-form').addEventListener('submit', startSession);
        setupList();
        setupSession();
        setupPush();
        await checkAuth();
}

async function checkAuth() {
        try {
                app.auth = await api('GET', '/api/auth/status', undefined, { auth: false });
        } catch (err) {
                show($('view-boot'), true);
                $('view-boot').textContent = '';
                banner(`${describeError(err)} Retrying…`, err.network ? 'offline' : 'unavailable');
                setTimeout(checkAuth, 3000);
                return;
        }
        banner(null);
        show($('view-boot'), false);
        if (app.auth.auth_required && !app.auth.authenticated) goLogin();
        else enterApp();
}

function goLogin() {
        leaveApp();
        setView('login');
        show($('logout'), false);
        show($('login-nopass'), Boolean(app.auth && app.auth.password_set === false));
        $('login-password').value = '';
        $('login-password').focus();
}

let lockTimer = null;

async function login(ev) {
        ev.preventDefault();
        const err = $('login-error');
        const pw = $('login-password').value;
        if (!pw) {
                setError(err, 'Enter the password.');
                return;
        }
        $('login-submit').disabled = true;
        try {
                await api('POST', '/api/auth/login', { password: pw }, { auth: false });
        } catch (e) {
                $('login-password').value = '';
                if (e instanceof ApiError && e.status === 429) {
                        lockout(e.retryAfter ?? 60, e.message);
                        return;
                }
                $('login-submit').disabled = false;
                setError(err, e instanceof ApiError && e.status === 401 ? sentence(e.message || 'Wrong password') : describeError(e));
                $('login-password').focus();
                return;
        }
        setError(err, null);
        $('login-submit').disabled = false;
        app.auth = { ...(app.auth || {}), authenticated: true };
        enterApp();
}

// 429: the server locks this client out for Retry-After seconds; count down and keep the button disabled.
function lockout(seconds, message) {
        const err = $('login-error');
        const until = Date.now() + seconds * 1000;
        clearInterval(lockTimer);
        const tick = () => {
                const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
                if (left === 0) {
                        clearInterval(lockTimer);
                        $('login-submit').disabled = false;
                        setError(err, 'You can try again now.');
                        return;
                }
                const m = Math.floor(left / 60);
                const at = new Date(until);
                const when = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
                setError(err, `${sentence(message || 'Too many failed attempts')} Sign-in is locked for ${m ? `${m} min ` : ''}${left % 60} s, until ${when}.`);
        };
        $('login-submit').disabled = true;
        tick();
        lockTimer = setInterval(tick, 1000);
}

async function logout() {
        try {
                await api('POST', '/api/auth/logout', undefined, { auth: false });
        } catch (e) {
                if (!(e instanceof ApiError && e.status === 401)) toast(`Logout: ${describeError(e)}`, 'error');
        }
        app.auth = { ...(app.auth || {}), authenticated: false, auth_required: true };
        goLogin();
}

function enterApp() {
        show($('logout'), Boolean(app.auth && app.auth.auth_required));
        app.push.sync();
        if (!app.started) {
                app.started = true;
                app.live.start();
        }
        route();
}

function leaveApp() {
        closeSession();
        if (app.started) {
                app.started = false;
                app.live.stop();
                app.rowCache.clear();
        }
        setConn('idle');
}

/* ---------- routing ---------- */

function setView(name) {
        app.view = name;
        show($('view-login'), name === 'login');
        show($('view-list'), name === 'list');
        show($('view-session'), name === 'session');
        show($('view-boot'), false);
        show(document.querySelector('.topnav'), name !== 'login');
        show($('push'), name !== 'login');
        $('nav-sessions').classList.toggle('active', name === 'list');
        if (name !== 'login') $('nav-sessions').setAttribute('aria-current', name === 'list' ? 'page' : 'false');
}

function route() {
        if (!app.started) return;
        const m = location.hash.match(/^#\/sessions\/([^/?#]+)/);
        if (m) {
                openSession(decodeURIComponent(m[1]));
                return;
        }
        closeSession();
        setView('list');
        document.title = 'Sessions · oly';
        renderList();
}

/* ---------- sessions list ---------- */

function setupList() {
        let timer = null;
        const onFilter = () => {
                scheduleListRender();
                clearTimeout(timer);
                timer = setTimeout(searchServer, SEARCH_DEBOUNCE_MS);
        };
        $('search').addEventListener('input', onFilter);
        $('status-filter').addEventListener('change', onFilter);
        $('load-older').addEventListener('click', async () => {
                $('load-older').disabled = true;
                try {
                        const n = await app.live.loadOlder();
                        if (!n) toast('No older sessions.');
                } catch (e) {
                        toast(describeError(e), 'error');
                } finally {
                        $('load-older').disabled = false;
                        renderList();
                }
        });
        $('sessions-body').addEventListener('click', (ev) => {
                if (ev.target.closest('a')) return; // the id link navigates by itself
                const tr = ev.target.closest('tr[data-id]');
                if (tr) location.hash = `#/sessions/${encodeURIComponent(tr.dataset.id)}`;
        });
}

function statusFilterSet(v) {
        switch (v) {
        case '':
        case 'input_needed':
                return null;
        case 'active':
                return [...ACTIVE_STATUSES];
        case 'ended':
                return [...ENDED_STATUSES];
        default:
                return [v];
        }
}

// With a search or a filter, also ask the server: the live list holds only the newest sessions.
async function searchServer() {
        const search = $('search').value.trim();
        const statuses = statusFilterSet($('status-filter').value);
        if (!search && !statuses) return;
        try {
                await app.live.searchServer(search, statuses);
        } catch (e) {
                if (!(e instanceof ApiError && e.status === 401)) toast(`Search: ${describeError(e)}`, 'error');
        }
}

let renderPending = false;
function scheduleListRender() {
        if (renderPending) return;
        renderPending = true;
        requestAnimationFrame(() => {
                renderPending = false;
                if (app.view === 'list') renderList();
        });
}

function matches(s, needle, filter) {
        if (filter === 'active' && !ACTIVE_STATUSES.has(s.status)) return false;
        if (filter === 'ended' && !ENDED_STATUSES.has(s.status)) return false;
        if (filter === 'input_needed' && !s.input_needed) return false;
        if (filter && !['active', 'ended', 'input_needed'].includes(filter) && s.status !== filter) return false;
        if (!needle) return true;
        const hay = `${s.id}\n${s.title || ''}\n${commandLine(s)}\n${s.cwd || ''}`.toLowerCase();
        return needle.split(/\s+/).every((w) => hay.includes(w));
}

function renderList() {
        const live = app.live;
        const needle = $('search').value.trim().toLowerCase();
        const filter = $('status-filter').value;
        const all = [...live.sessions.values()];
        const list = all.filter((s) => matches(s, needle, filter));
        list.sort((a, b) => (b.created_at || '').localeCompare(a.created_at || '') || b.id.localeCompare(a.id));
        const shown = list.slice(0, MAX_ROWS);

        const rows = shown.map((s) => {
                let tr = app.rowCache.get(s.id);
                if (!tr) {
                        tr = el('tr', { class: 'session-row', dataset: { id: s.id, testid: 'session-row' } });
                        app.rowCache.set(s.id, tr);
                }
                if (tr._session !== s) fillRow(tr, s);
                return tr;
        });
        $('sessions-body').replaceChildren(...rows);

        const count = $('list-count');
        count.textContent = live.ready ? String(all.length) : '';
        const empty = $('list-empty');
        if (!live.ready) setError(empty, live.state === 'unavailable' || live.state === 'offline' ? 'Sessions are unavailable right now.' : 'Loading sessions…');
        else if (!all.length) setError(empty, 'No sessions yet. Start one above, or with `oly start` on the command line.');
        else if (!list.length) setError(empty, 'No sessions match the search or filter.');
        else setError(empty, null);
        $('list-note').textContent = list.length > MAX_ROWS ? `Showing the newest ${MAX_ROWS} of ${list.length} matching sessions; refine the search to see others.` : '';
        show($('load-older'), live.ready && live.more);
}

function fillRow(tr, s) {
        tr._session = s;
        tr.dataset.status = s.status;
        const title = s.title || '';
        const cmd = commandLine(s);
        const badge = el('span', { class: `badge status-${s.status}`, 'data-testid': 'row-status', text: s.status });
        const attention = s.input_needed
                ? el('span', { class: 'badge badge-attention', 'data-testid': 'row-input-needed', title: 'The session is waiting for input', text: 'input needed' })
                : '';
        tr.replaceChildren(
                el('td', { class: 'col-id' }, el('a', { href: `#/sessions/${encodeURIComponent(s.id)}`, class: 'sid', 'data-testid': 'row-id', text: s.id })),
                el('td', { class: 'col-title', title, text: title || '—' }),
                el('td', { class: 'col-command', title: cmd }, el('code', { text: cmd })),
                el('td', { class: 'col-status' }, badge),
                el('td', { class: 'col-created', title: s.created_at || '', text: fmtTime(s.created_at) }),
                el('td', { class: 'col-attention' }, attention),
        );
        tr.classList.toggle('row-ended', ENDED_STATUSES.has(s.status));
}

/* ---------- start a session ---------- */

async function startSession(ev) {
        ev.preventDefault();
        const err = $('new-error');
        const command = $('new-command').value.trim();
        const title = $('new-title').value.trim();
        const cwd = $('new-cwd').value.trim();
        if (!command) {
                setError(err, 'Enter a command to run.');
                $('new-command').focus();
                return;
        }
        if (cwd && !cwd.startsWith('/')) {
                setError(err, 'The working directory must be an absolute path (starting with /).');
                $('new-cwd').focus();
                return;
        }
        const body = { command };
        if (title) body.title = title;
        if (cwd) body.cwd = cwd;
        $('new-submit').disabled = true;
        try {
                const s = await api('POST', '/api/sessions', body);
                setError(err, null);
                $('new-form').reset();
                app.live.upsert(s);
                location.hash = `#/sessions/${encodeURIComponent(s.id)}`;
        } catch (e) {
                setError(err, `Could not start the session: ${describeError(e)}`);
        } finally {
                $('new-submit').disabled = false;
        }
}

/* ---------- one session ---------- */

function setupSession() {
        $('s-stop').addEventListener('click', () => sessionAction('stop', 'Stopping…'));
        $('s-kill').addEventListener('click', () => sessionAction('kill', 'Killing…'));
        $('s-notify').addEventListener('change', toggleNotifications);
        $('tab-terminal').addEventListener('click', () => selectTab('terminal'));
        $('tab-logs').addEventListener('click', () => selectTab('logs'));
        for (const t of [$('tab-terminal'), $('tab-logs')]) {
                t.addEventListener('keydown', (ev) => {
                        if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
                                const next = t.id === 'tab-terminal' ? 'logs' : 'terminal';
                                selectTab(next);
                                $(`tab-${next}`).focus();
                        }
                });
        }
        $('logs-refresh').addEventListener('click', loadLogs);
        $('logs-tail').addEventListener('change', loadLogs);
}

async function openSession(id) {
        if (app.view === 'session' && app.sessionId === id) return;
        closeSession();
        setView('session');
        app.sessionId = id;
        document.title = `${id} · oly`;
        show($('s-missing'), false);
        setError($('s-error'), null);
        for (const n of ['.session-head', '.tabs', '#panel-terminal', '#s-meta']) show(document.querySelector(n), true);
        $('logs').textContent = '';
        selectTab('terminal');

        // Resolve the id (a prefix is fine) and learn the status before attaching.
        let s;
        try {
                s = await api('GET', sessionPath(id));
        } catch (e) {
                if (app.sessionId !== id) return;
                if (e instanceof ApiError && e.status === 401) return;
                sessionMissing(id, e);
                return;
        }
        if (app.sessionId !== id) return;
        if (s.id !== id) {
                // A unique prefix: show the canonical URL.
                app.sessionId = s.id;
                history.replaceState(null, '', `#/sessions/${encodeURIComponent(s.id)}`);
        }
        app.live.upsert(s);
        renderSessionHead();
        if (!window.Terminal || !window.FitAddon) {
                termState('error', 'The terminal cannot be shown: vendor/xterm.js did not load (run web/vendor.sh).');
                return;
        }

        const term = new AttachedTerminal($('terminal'), s.id, {
                onState: ({ state, text }) => termState(state, text),
                onNotice: (text) => toast(text),
                onExit: () => refreshSession(),
                onSession: (fresh) => app.live.upsert(fresh),
        });
        app.term = term;
        if (ACTIVE_STATUSES.has(s.status)) {
                term.connect();
                term.focus();
        } else {
                const code = s.exit_code === null || s.exit_code === undefined ? '' : `, exit code ${s.exit_code}`;
                termState('ended', `Session ended: ${s.status}${code} — showing its recorded output`);
                term.showLog();
        }
}

function sessionMissing(id, e) {
        for (const n of ['.session-head', '.tabs', '#panel-terminal', '#panel-logs', '#s-meta']) show(document.querySelector(n), false);
        const box = $('s-missing');
        box.replaceChildren();
        let head = 'Could not load the session';
        if (e instanceof ApiError && e.status === 404) head = 'Session not found';
        else if (e instanceof ApiError && e.status === 409) head = 'Ambiguous session id';
        else if (e instanceof ApiError && e.status === 503) head = 'The oly daemon is unavailable';
        else if (e instanceof ApiError && e.network) head = 'Network down';
        box.append(
                el('h2', { text: head }),
                el('p', { text: e instanceof ApiError && e.status === 404 ? `There is no session “${id}”.` : describeError(e) }),
                el('p', {}, el('a', { href: '#/', text: '← Back to the sessions' })),
        );
        if (!(e instanceof ApiError && (e.status === 404 || e.status === 409))) {
                box.append(el('button', { type: 'button', class: 'btn', 'data-testid': 'session-retry', text: 'Retry', onclick: () => {
                        app.sessionId = null;
                        openSession(id);
                } }));
        }
        show(box, true);
}

function closeSession() {
        if (app.term) {
                app.term.dispose();
                app.term = null;
        }
        app.sessionId = null;
        show($('term-overlay'), false);
}

async function refreshSession() {
        const id = app.sessionId;
        if (!id) return;
        try {
                app.live.upsert(await api('GET', sessionPath(id)));
        } catch {
                /* SSE keeps it current anyway */
        }
}

function renderSessionHead() {
        const s = app.live.get(app.sessionId);
        if (!s) return;
        $('s-title').textContent = s.title || s.command || s.id;
        $('s-id').textContent = s.id;
        statusBadge($('s-status'), s.status);
        show($('s-input'), Boolean(s.input_needed));
        const active = ACTIVE_STATUSES.has(s.status);
        $('s-stop').disabled = !active || app.pendingAction;
        $('s-kill').disabled = !active || app.pendingAction;
        $('s-notify').checked = Boolean(s.notifications_enabled);
        $('s-notify').setAttribute('aria-checked', String(Boolean(s.notifications_enabled)));

        const meta = [
                ['Command', el('code', { text: commandLine(s) })],
                ['Directory', el('code', { text: s.cwd || '—' })],
                ['PID', ACTIVE_STATUSES.has(s.status) && s.pid ? String(s.pid) : '—'],
                ['Created', fmtTime(s.created_at)],
                ['Started', fmtTime(s.started_at)],
        ];
        if (s.ended_at) meta.push(['Ended', fmtTime(s.ended_at)]);
        if (s.exit_code !== null && s.exit_code !== undefined) meta.push(['Exit code', String(s.exit_code)]);
        $('s-meta').replaceChildren(...meta.flatMap(([k, v]) => [el('div', { class: 'meta-item' }, el('dt', { text: k }), el('dd', {}, v))]));
        document.title = `${s.title || s.id} · oly`;
}

async function sessionAction(verb, busyText) {
        const id = app.sessionId;
        if (!id) return;
        app.pendingAction = true;
        const btn = $(verb === 'stop' ? 's-stop' : 's-kill');
        const label = btn.textContent;
        btn.textContent = busyText;
        $('s-stop').disabled = true;
        $('s-kill').disabled = true;
        setError($('s-error'), null);
        try {
                const s = await api('POST', `${sessionPath(id)}/${verb}`, {});
                app.live.upsert(s);
        } catch (e) {
                if (!(e instanceof ApiError && e.status === 401)) setError($('s-error'), `Could not ${verb} the session: ${describeError(e)}`);
        } finally {
                app.pendingAction = false;
                btn.textContent = label;
                renderSessionHead();
        }
}

async function toggleNotifications() {
        const id = app.sessionId;
        const box = $('s-notify');
        const enabled = box.checked;
        box.disabled = true;
        try {
                app.live.upsert(await api('PUT', `${sessionPath(id)}/notifications`, { enabled }));
                toast(enabled ? 'Notifications on for this session.' : 'Notifications off for this session.');
        } catch (e) {
                box.checked = !enabled;
                if (!(e instanceof ApiError && e.status === 401)) setError($('s-error'), `Could not change notifications: ${describeError(e)}`);
        } finally {
                box.disabled = false;
        }
}

function termState(state, text) {
        const t = $('term-status');
        t.dataset.state = state;
        t.textContent = text;
        const overlay = $('term-overlay');
        const blocking = state === 'reconnecting' || state === 'notfound';
        overlay.textContent = text;
        overlay.dataset.state = state;
        show(overlay, blocking);
        if (state === 'exited' || state === 'notfound') renderSessionHead();
}

function selectTab(which) {
        const isTerm = which === 'terminal';
        $('tab-terminal').setAttribute('aria-selected', String(isTerm));
        $('tab-logs').setAttribute('aria-selected', String(!isTerm));
        $('tab-terminal').tabIndex = isTerm ? 0 : -1;
        $('tab-logs').tabIndex = isTerm ? -1 : 0;
        show($('panel-terminal'), isTerm);
        show($('panel-logs'), !isTerm);
        if (isTerm && app.term) {
                app.term.fitNow();
                app.term.focus();
        } else if (!isTerm) {
                loadLogs();
        }
}

async function loadLogs() {
        const id = app.sessionId;
        if (!id) return;
        const tail = $('logs-tail').value;
        $('logs-note').textContent = 'Loading…';
        try {
                const r = await api('GET', `${sessionPath(id)}/logs?tail=${encodeURIComponent(tail)}`);
                if (app.sessionId !== id) return;
                const lines = r.lines || [];
                $('logs').textContent = lines.join('\n');
                $('logs-note').textContent = `${lines.length} line${lines.length === 1 ? '' : 's'} · ${r.status || ''} · ${fmtTime(new Date().toISOString())}`;
                $('logs').scrollTop = $('logs').scrollHeight;
        } catch (e) {
                if (app.sessionId !== id) return;
                $('logs-note').textContent = '';
                $('logs').textContent = '';
                if (!(e instanceof ApiError && e.status === 401)) $('logs-note').textContent = `Could not load the logs: ${describeError(e)}`;
        }
}

/* ---------- browser notifications (Web Push) ---------- */

const PUSH_TEXT = {
        unsupported: 'unsupported',
        blocked: 'blocked by the browser',
        off: 'off',
        on: 'on',
        asking: 'waiting for permission…',
        busy: '…',
};

function setupPush() {
        const box = $('push-toggle');
        app.push.onChange(renderPush);
        box.addEventListener('change', async () => {
                const on = box.checked;
                try {
                        if (on) {
                                await app.push.enable();
                                toast('Browser notifications are on: this browser will tell you when a session needs input.');
                        } else {
                                await app.push.disable();
                                toast('Browser notifications are off for this browser.');
                        }
                } catch (e) {
                        if (!(e instanceof ApiError && e.status === 401)) toast(e.message || String(e), 'error', 10000);
                }
        });
        // A click on a notification while this tab is not controlled by sw.js (see its notificationclick).
        if ('serviceWorker' in navigator) {
                navigator.serviceWorker.addEventListener('message', (ev) => {
                        const d = ev.data;
                        if (!d || d.type !== 'oly-open' || typeof d.url !== 'string') return;
                        const u = new URL(d.url, location.href);
                        if (u.origin === location.origin && u.hash.startsWith('#/')) location.hash = u.hash;
                });
                navigator.serviceWorker.startMessages();
        }
        app.push.refresh().catch(() => renderPush('off', ''));
}

function renderPush(state, reason) {
        const box = $('push-toggle');
        $('push').dataset.state = state;
        $('push-state').textContent = PUSH_TEXT[state] ?? state;
        $('push-state').title = reason || '';
        box.checked = state === 'on';
        box.setAttribute('aria-checked', String(state === 'on'));
        box.disabled = !['on', 'off'].includes(state);
}

/* ---------- go ---------- */

// app.js is a module, deferred like the vendor scripts before it, so those have run by now.
if (!window.Terminal || !window.FitAddon)
        console.error('oly: vendor/xterm.js or vendor/addon-fit.js did not load; run web/vendor.sh');
boot();
