// SPDX-License-Identifier: LGPL-2.1-or-later
// Browser notifications through Web Push: the service worker (sw.js), this browser's push subscription and
// its registration with the server (/api/push/*). Nothing is stored here: the browser keeps the subscription,
// and pushManager.getSubscription() tells the state on every load.

import { api, ApiError, describeError } from './api.js';

const SW_URL = '/sw.js';
const SW_SCOPE = '/';
const ACTIVATE_TIMEOUT_MS = 10000;

// unsupported | blocked | off | on | asking (the permission prompt is open) | busy
export class PushControl {
        constructor() {
                this.state = 'off';
                this.reason = ''; // why it is unsupported or blocked, or the last error
                this._listeners = new Set();
                this._synced = false;
                this._watching = false;
        }

        onChange(fn) {
                this._listeners.add(fn);
        }

        _set(state, reason = '') {
                this.state = state;
                this.reason = reason;
                for (const fn of this._listeners) fn(state, reason);
        }

        // Why this browser cannot do it, or '' when it can.
        static unsupportedReason() {
                if (!window.isSecureContext) return 'Browser notifications need HTTPS (or localhost).';
                if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
                        return 'This browser does not support push notifications.';
                return '';
        }

        // The state from what the browser holds (no server request); again when the site's permission changes.
        async refresh() {
                const why = PushControl.unsupportedReason();
                if (why) return this._set('unsupported', why);
                if (!this._watching && navigator.permissions) {
                        this._watching = true;
                        navigator.permissions.query({ name: 'notifications' })
                                .then((st) => st.addEventListener('change', () => {
                                        if (this.state !== 'asking' && this.state !== 'busy') this.refresh();
                                }))
                                .catch(() => {});
                }
                const sub = await currentSubscription().catch(() => null);
                if (Notification.permission === 'denied')
                        return this._set('blocked', "Notifications are blocked for this site: allow them in the browser's site settings.");
                this._set(sub && Notification.permission === 'granted' ? 'on' : 'off');
        }

        // Once per page, when signed in: make sure the server knows the subscription the browser has (the server's
        // list may have been reset, or the browser may have renewed the subscription).
        async sync() {
                if (this._synced || PushControl.unsupportedReason() || Notification.permission !== 'granted') return;
                this._synced = true;
                const sub = await currentSubscription().catch(() => null);
                if (sub) await api('POST', '/api/push/subscriptions', subscriptionBody(sub)).catch(() => {});
        }

        // Turns notifications on; throws an Error with a sentence for the person on failure.
        async enable() {
                const why = PushControl.unsupportedReason();
                if (why) {
                        this._set('unsupported', why);
                        throw new Error(why);
                }
                try {
                        // First, while the click still counts as a user gesture.
                        let perm = Notification.permission;
                        if (perm !== 'granted') {
                                this._set('asking');
                                perm = await Notification.requestPermission();
                        }
                        this._set('busy');
                        if (perm === 'denied')
                                throw new PushBlocked("Notifications are blocked for this site: allow them in the browser's site settings, then try again.");
                        if (perm !== 'granted') throw new Error('Notifications were not allowed (the permission prompt was dismissed).');

                        let reg;
                        try {
                                reg = await navigator.serviceWorker.register(SW_URL, { scope: SW_SCOPE });
                                await activated(reg);
                        } catch (e) {
                                throw new Error(`Could not install the service worker (${SW_URL}): ${e.message || e}`);
                        }

                        const key = await vapidKey();
                        let sub = await reg.pushManager.getSubscription();
                        if (sub && !sameKey(sub, key)) {
                                await sub.unsubscribe().catch(() => {}); // made for another server key
                                sub = null;
                        }
                        if (!sub) {
                                try {
                                        sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
                                } catch (e) {
                                        // e.g. a private window, or a browser without a push service (headless Chromium)
                                        throw new Error(`The browser could not subscribe to push messages: ${sentence(e.message || e.name || String(e))} ` +
                                                'Private windows and browsers without a push service cannot receive them.');
                                }
                        }
                        try {
                                await api('POST', '/api/push/subscriptions', subscriptionBody(sub));
                        } catch (e) {
                                await sub.unsubscribe().catch(() => {}); // the server does not know it: do not look "on"
                                throw new Error(`The server did not accept the subscription: ${describeError(e)}`, { cause: e });
                        }
                        this._synced = true;
                        this._set('on');
                } catch (e) {
                        if (e instanceof PushBlocked) this._set('blocked', e.message);
                        else this._set('off', e.message);
                        throw e;
                }
        }

        // Turns notifications off: the browser forgets the subscription, then the server does.
        async disable() {
                this._set('busy');
                let endpoint = null;
                try {
                        const sub = await currentSubscription();
                        if (sub) {
                                endpoint = sub.endpoint;
                                await sub.unsubscribe();
                        }
                } catch (e) {
                        await this.refresh();
                        throw new Error(`Could not unsubscribe: ${e.message || e}`);
                }
                this._set('off');
                if (!endpoint) return;
                try {
                        await api('DELETE', '/api/push/subscriptions', { endpoint });
                } catch (e) {
                        if (e instanceof ApiError && e.status === 404) return; // the server did not have it: fine
                        // The browser is unsubscribed, so the push service rejects further messages anyway.
                        throw new Error(`Notifications are off in this browser, but the server could not be told: ${describeError(e)}`, { cause: e });
                }
        }
}

class PushBlocked extends Error {}

async function currentSubscription() {
        const reg = await navigator.serviceWorker.getRegistration(SW_SCOPE);
        return reg ? reg.pushManager.getSubscription() : null;
}

function subscriptionBody(sub) {
        const j = sub.toJSON();
        return { endpoint: j.endpoint, keys: { p256dh: j.keys && j.keys.p256dh, auth: j.keys && j.keys.auth } };
}

// Resolves once the registration has an active worker: pushManager.subscribe() needs one.
function activated(reg) {
        if (reg.active) return Promise.resolve(reg);
        return new Promise((resolve, reject) => {
                const sw = reg.installing || reg.waiting;
                const timer = setTimeout(() => reject(new Error('it did not activate in time')), ACTIVATE_TIMEOUT_MS);
                if (!sw) {
                        clearTimeout(timer);
                        reject(new Error('no worker is installing'));
                        return;
                }
                sw.addEventListener('statechange', () => {
                        if (sw.state === 'activated') {
                                clearTimeout(timer);
                                resolve(reg);
                        } else if (sw.state === 'redundant') {
                                clearTimeout(timer);
                                reject(new Error('it failed to install'));
                        }
                });
        });
}

// The server's VAPID public key as the 65 bytes of an uncompressed P-256 point.
async function vapidKey() {
        let r;
        try {
                r = await api('GET', '/api/push/vapid-public-key');
        } catch (e) {
                if (e instanceof ApiError && e.status === 404)
                        throw new Error('This oly server has no web push key (VAPID), so it cannot send browser notifications.', { cause: e });
                throw new Error(`Could not get the server's web push key: ${describeError(e)}`, { cause: e });
        }
        const b64 = r && typeof r.public_key === 'string' ? r.public_key.trim() : '';
        if (!b64) throw new Error('This oly server has no web push key (VAPID), so it cannot send browser notifications.');
        const key = base64UrlBytes(b64);
        if (!key || key.length !== 65 || key[0] !== 4) throw new Error("The server's web push key is not a P-256 public key.");
        return key;
}

export function base64UrlBytes(s) {
        try {
                const b64 = s.replaceAll('-', '+').replaceAll('_', '/').replace(/=+$/, '');
                const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
                return Uint8Array.from(bin, (c) => c.charCodeAt(0));
        } catch {
                return null;
        }
}

const sentence = (t) => (/[.!?]$/.test(t) ? t : `${t}.`);

function sameKey(sub, key) {
        const k = sub.options && sub.options.applicationServerKey;
        if (!k) return true; // unknown: keep it
        const a = new Uint8Array(k);
        return a.length === key.length && a.every((b, i) => b === key[i]);
}
