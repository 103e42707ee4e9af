// SPDX-License-Identifier: LGPL-2.1-or-later
// oly's service worker: shows the daemon's Web Push messages as notifications and opens the session when one
// is clicked. Nothing else: no caching, no offline pages, no fetch handler. Served from the web root so that
// its scope is the whole UI ("/").
//
// The push payload is JSON {"title","body","id","trigger","node","url"}; url is the session page as a path
// and hash on this origin, e.g. "/#/sessions/<id>" (see route() in app.js).

'use strict';

const GENERIC_TITLE = 'oly';
const GENERIC_BODY = 'A session needs input.';

self.addEventListener('install', () => self.skipWaiting());
// Take over open oly tabs at once, so that a click can navigate them without a reload first.
self.addEventListener('activate', (ev) => ev.waitUntil(self.clients.claim()));

// Only pages of this origin: a payload cannot send the user elsewhere.
function sameOriginUrl(url) {
        try {
                const u = new URL(typeof url === 'string' && url ? url : '/', self.location.origin);
                return u.origin === self.location.origin ? u.href : new URL('/', self.location.origin).href;
        } catch {
                return new URL('/', self.location.origin).href;
        }
}

function payloadOf(ev) {
        if (!ev.data) return {};
        try {
                const p = ev.data.json();
                return p && typeof p === 'object' ? p : {};
        } catch {
                return {}; // not JSON: shown as the generic notification
        }
}

self.addEventListener('push', (ev) => {
        const p = payloadOf(ev);
        const text = (v) => (typeof v === 'string' ? v.trim() : '');
        const id = text(p.id);
        const url = sameOriginUrl(text(p.url) || (id ? `/#/sessions/${encodeURIComponent(id)}` : '/'));
        const options = {
                body: text(p.body) || (text(p.title) ? '' : GENERIC_BODY),
                icon: '/favicon.svg',
                data: { url },
        };
        if (id) {
                // One notification per session: a newer one replaces it, and still alerts.
                options.tag = `oly-${id}`;
                options.renotify = true;
        }
        ev.waitUntil(self.registration.showNotification(text(p.title) || GENERIC_TITLE, options));
});

// Focuses an open oly tab and shows url in it, or opens a new window.
async function openPage(url) {
        const tabs = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
        const tab = tabs.find((c) => c.focused) || tabs.find((c) => c.visibilityState === 'visible') || tabs[0];
        if (!tab) {
                await self.clients.openWindow(url);
                return;
        }
        const focused = await tab.focus().catch(() => tab);
        if (focused.url === url) return;
        try {
                await focused.navigate(url); // only works for a tab this worker controls
        } catch {
                focused.postMessage({ type: 'oly-open', url }); // app.js sets location.hash
        }
}

self.addEventListener('notificationclick', (ev) => {
        ev.notification.close();
        ev.waitUntil(openPage(sameOriginUrl(ev.notification.data && ev.notification.data.url)));
});
