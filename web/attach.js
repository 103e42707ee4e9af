// SPDX-License-Identifier: LGPL-2.1-or-later
// A session's terminal: xterm.js (window.Terminal, window.FitAddon from vendor/) attached over the WebSocket
// /api/sessions/<id>/attach. Binary frames, first byte the opcode: from the server 'h' hello, 's' snapshot,
// 'o' output, 'x' exit, 'n' notice, 'P' pong; to the server 'i' input, 'r' resize (u16 rows, u16 cols,
// big-endian), 'p' ping. An unexpected drop is retried with backoff; 'x' ends it for good.

import { api, ApiError, sessionPath } from './api.js';

const OP = {
        HELLO: 0x68, // 'h'
        SNAPSHOT: 0x73, // 's'
        OUTPUT: 0x6f, // 'o'
        EXIT: 0x78, // 'x'
        NOTICE: 0x6e, // 'n'
        PONG: 0x50, // 'P'
        INPUT: 0x69, // 'i'
        RESIZE: 0x72, // 'r'
        PING: 0x70, // 'p'
};
const PING_INTERVAL_MS = 15000;
const PONG_TIMEOUT_MS = 10000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;
const LOG_VIEW_MAX = 1 << 20; // bytes of an ended session's log shown in the terminal

const THEME = {
        background: '#0b0f14',
        foreground: '#d7dde6',
        cursor: '#e6edf3',
        cursorAccent: '#0b0f14',
        selectionBackground: '#2f81f766',
        black: '#1b2028',
        red: '#f47067',
        green: '#57d364',
        yellow: '#e3b341',
        blue: '#539bf5',
        magenta: '#d2a8ff',
        cyan: '#56d4dd',
        white: '#c9d1d9',
        brightBlack: '#6e7681',
        brightRed: '#ff938a',
        brightGreen: '#7ee787',
        brightYellow: '#f2cc60',
        brightBlue: '#79c0ff',
        brightMagenta: '#e2c5ff',
        brightCyan: '#87deea',
        brightWhite: '#f0f6fc',
};

const encoder = new TextEncoder();

function frame(op, payload) {
        const buf = new Uint8Array(1 + (payload ? payload.length : 0));
        buf[0] = op;
        if (payload) buf.set(payload, 1);
        return buf;
}

// Terminal text as plain lines (the test reads this through window.__olyTermText).
export function terminalText(term) {
        if (!term) return '';
        const buf = term.buffer.active;
        const lines = [];
        for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
        return lines.join('\n');
}

/**
 * callbacks: onState({state, text}) where state is one of
 *   connecting | connected | reconnecting | exited | ended | notfound | error,
 * onNotice(text), onExit({status, exit_code}).
 */
export class AttachedTerminal {
        constructor(container, id, callbacks = {}) {
                this.id = id;
                this.cb = callbacks;
                this.ws = null;
                this.exited = false;
                this.disposed = false;
                this.attempt = 0;
                this.everConnected = false;
                this._retryTimer = null;
                this._pingTimer = null;
                this._lastPong = 0;
                this._sentSize = null;

                this.term = new window.Terminal({
                        cursorBlink: true,
                        fontFamily: '"DejaVu Sans Mono", "Liberation Mono", ui-monospace, Menlo, Consolas, monospace',
                        fontSize: 14,
                        lineHeight: 1.15,
                        scrollback: 10000,
                        theme: THEME,
                        allowProposedApi: false,
                });
                this.fit = new window.FitAddon.FitAddon();
                this.term.loadAddon(this.fit);
                this.term.open(container);
                this.container = container;
                this._fitSoon = this._debounceFrame(() => this.fitNow());
                this._resizeObserver = new ResizeObserver(() => this._fitSoon());
                this._resizeObserver.observe(container);
                this._onWindowResize = () => this._fitSoon();
                window.addEventListener('resize', this._onWindowResize);
                this._onOnline = () => {
                        if (this._retryTimer) this._retryNow();
                };
                window.addEventListener('online', this._onOnline);

                this.term.onData((d) => this._send(OP.INPUT, encoder.encode(d)));
                this.term.onBinary((d) => {
                        const bytes = new Uint8Array(d.length);
                        for (let i = 0; i < d.length; i++) bytes[i] = d.charCodeAt(i) & 0xff;
                        this._send(OP.INPUT, bytes);
                });
                this.term.onResize(() => this._sendResize());

                window.__olyTerm = this.term;
                this.fitNow();
        }

        focus() {
                this.term.focus();
        }

        fitNow() {
                if (this.disposed || !this.container.isConnected || this.container.clientWidth === 0) return;
                try {
                        this.fit.fit();
                } catch {
                        /* not laid out yet */
                }
        }

        connect() {
                if (this.disposed || this.exited) return;
                clearTimeout(this._retryTimer);
                this._retryTimer = null;
                this._state(this.everConnected ? 'reconnecting' : 'connecting',
                            this.everConnected ? `Reconnecting… (attempt ${this.attempt})` : 'Connecting…');
                const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
                const ws = new WebSocket(`${proto}//${location.host}${sessionPath(this.id)}/attach`);
                ws.binaryType = 'arraybuffer';
                this.ws = ws;
                let opened = false;
                ws.onopen = () => {
                        opened = true;
                        this.everConnected = true;
                        this.attempt = 0;
                        this._sentSize = null;
                        this._lastPong = Date.now();
                        this._state('connected', 'Connected');
                        this.fitNow();
                        this._sendResize();
                        this._startPing();
                };
                ws.onmessage = (ev) => this._onMessage(ev.data);
                ws.onclose = () => {
                        if (ws !== this.ws) return;
                        this._dropped(opened);
                };
                ws.onerror = () => {
                        /* onclose follows and decides */
                };
        }

        _onMessage(data) {
                if (!(data instanceof ArrayBuffer) || data.byteLength === 0) return;
                const bytes = new Uint8Array(data);
                const payload = bytes.subarray(1);
                switch (bytes[0]) {
                case OP.OUTPUT:
                        this.term.write(payload);
                        break;
                case OP.SNAPSHOT:
                        // The current screen, sent on every (re)attach: start from a clean terminal.
                        this.term.reset();
                        this.term.write(payload);
                        break;
                case OP.HELLO:
                        // The session's size; ours (from the fit) wins, so tell it even if unchanged.
                        this._sentSize = null;
                        this._sendResize();
                        break;
                case OP.EXIT: {
                        let info = {};
                        try {
                                info = JSON.parse(new TextDecoder().decode(payload));
                        } catch {
                                /* keep {} */
                        }
                        this.exited = true;
                        this._stopPing();
                        const code = info.exit_code === null || info.exit_code === undefined ? '' : `, exit code ${info.exit_code}`;
                        this._state('exited', `Session ended: ${info.status || 'exited'}${code}`);
                        this.term.options.cursorBlink = false;
                        this.cb.onExit?.(info);
                        break;
                }
                case OP.NOTICE:
                        this.cb.onNotice?.(new TextDecoder().decode(payload));
                        break;
                case OP.PONG:
                        this._lastPong = Date.now();
                        break;
                default:
                        break; // unknown opcodes are ignored (newer server)
                }
        }

        async _dropped(wasOpen) {
                this._stopPing();
                this.ws = null;
                if (this.disposed || this.exited) return;
                // Ask the API why: a WebSocket close says nothing about 401/404/409/503.
                let s;
                try {
                        s = await api('GET', sessionPath(this.id));
                } catch (err) {
                        if (this.disposed) return;
                        if (err instanceof ApiError && err.status === 404) {
                                this._state('notfound', 'Session not found');
                                return;
                        }
                        if (err instanceof ApiError && err.status === 401) return; // the app shows the login page
                        const why = err instanceof ApiError && err.status === 503 ? 'daemon unavailable'
                                : err instanceof ApiError && err.network ? 'network down' : err.message;
                        this._scheduleRetry(why);
                        return;
                }
                if (this.disposed) return;
                this.cb.onSession?.(s);
                if (!['created', 'running', 'stopping'].includes(s.status)) {
                        this.exited = true;
                        const code = s.exit_code === null || s.exit_code === undefined ? '' : `, exit code ${s.exit_code}`;
                        this._state('exited', `Session ended: ${s.status}${code}`);
                        if (!wasOpen && !this.everConnected) await this.showLog();
                        return;
                }
                this._scheduleRetry(wasOpen ? 'connection lost' : 'could not attach');
        }

        _scheduleRetry(why) {
                this.attempt++;
                const base = Math.min(RETRY_MIN_MS * 2 ** (this.attempt - 1), RETRY_MAX_MS);
                const delay = Math.round(base * (0.8 + Math.random() * 0.4));
                this._state('reconnecting', `Reconnecting… (${why}; attempt ${this.attempt} in ${Math.ceil(delay / 1000)} s)`);
                clearTimeout(this._retryTimer);
                this._retryTimer = setTimeout(() => {
                        this._retryTimer = null;
                        this.connect();
                }, delay);
        }

        _retryNow() {
                clearTimeout(this._retryTimer);
                this._retryTimer = null;
                this.connect();
        }

        // For a session that has ended: show its recorded output (the tail of the raw log) read-only.
        async showLog() {
                this.exited = true;
                try {
                        let res = await api('GET', `${sessionPath(this.id)}/log?offset=0&length=${LOG_VIEW_MAX}`, undefined, { raw: true });
                        const size = Number.parseInt(res.headers.get('X-Oly-Log-Size') || '0', 10);
                        if (size > LOG_VIEW_MAX) {
                                res = await api('GET', `${sessionPath(this.id)}/log?offset=${size - LOG_VIEW_MAX}&length=${LOG_VIEW_MAX}`,
                                                undefined, { raw: true });
                        }
                        const bytes = new Uint8Array(await res.arrayBuffer());
                        if (this.disposed) return;
                        this.term.reset();
                        this.term.write(bytes);
                        this.term.options.cursorBlink = false;
                        this.term.options.disableStdin = true;
                } catch (err) {
                        this.cb.onNotice?.(`Could not load the session's output: ${err.message}`);
                }
        }

        _send(op, payload) {
                if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
                this.ws.send(frame(op, payload));
                return true;
        }

        _sendResize() {
                const { rows, cols } = this.term;
                if (this._sentSize && this._sentSize.rows === rows && this._sentSize.cols === cols) return;
                const p = new Uint8Array(4);
                new DataView(p.buffer).setUint16(0, rows);
                new DataView(p.buffer).setUint16(2, cols);
                if (this._send(OP.RESIZE, p)) this._sentSize = { rows, cols };
        }

        _startPing() {
                this._stopPing();
                this._pingTimer = setInterval(() => {
                        if (!this.ws) return;
                        if (Date.now() - this._lastPong > PING_INTERVAL_MS + PONG_TIMEOUT_MS) {
                                // A silent connection (a dead network path): drop it instead of waiting for TCP.
                                const ws = this.ws;
                                this.ws = null;
                                ws.onclose = null;
                                ws.close();
                                this._dropped(true);
                                return;
                        }
                        this._send(OP.PING, encoder.encode(String(Date.now())));
                }, PING_INTERVAL_MS);
        }

        _stopPing() {
                clearInterval(this._pingTimer);
                this._pingTimer = null;
        }

        _state(state, text) {
                this.cb.onState?.({ state, text });
        }

        _debounceFrame(fn) {
                let pending = false;
                return () => {
                        if (pending) return;
                        pending = true;
                        requestAnimationFrame(() => {
                                pending = false;
                                fn();
                        });
                };
        }

        dispose() {
                this.disposed = true;
                clearTimeout(this._retryTimer);
                this._stopPing();
                this._resizeObserver.disconnect();
                window.removeEventListener('resize', this._onWindowResize);
                window.removeEventListener('online', this._onOnline);
                if (this.ws) {
                        this.ws.onclose = null;
                        this.ws.close();
                        this.ws = null;
                }
                if (window.__olyTerm === this.term) window.__olyTerm = null;
                this.term.dispose();
        }
}
