// SPDX-License-Identifier: LGPL-2.1-or-later
// Drives oly's web UI in Debian's headless Chromium (playwright-core, never a downloaded browser): log in,
// see a session created from the CLI appear live, filter the list, attach to it, type a command and see its
// output, check the terminal's colours under the CSP, resize the window and see the session follow, read the
// logs tab, press Stop and see the status become "stopped", turn on browser notifications (the service worker
// registers; subscribing fails cleanly without a push service) and show a push through sw.js, log out.
//
// Usage: node ui.test.mjs --url http://127.0.0.1:PORT --password PW [--session-id ID] [--screenshots DIR]
//   (or OLY_URL, OLY_PASSWORD, OLY_SESSION_ID, OLY_SCREENSHOTS, CHROMIUM in the environment).
// Without --session-id it prints "ui-test: ready for a session" once the list is open and reads the id
// of a session created then from stdin (test/test_web_ui.py does this), so the row must arrive over SSE.
// Exits 0 when every step passed, 1 with the failing step on stderr otherwise.

import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const STEP_TIMEOUT_MS = 20000;
const TOTAL_TIMEOUT_MS = 150000;

function option(name, env) {
        const i = process.argv.indexOf(`--${name}`);
        if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
        return process.env[env];
}

const baseUrl = (option('url', 'OLY_URL') || '').replace(/\/$/, '');
const password = option('password', 'OLY_PASSWORD');
const presetId = option('session-id', 'OLY_SESSION_ID');
const shotsDir = option('screenshots', 'OLY_SCREENSHOTS');
const chromiumPath = option('chromium', 'CHROMIUM') || '/usr/bin/chromium';

if (!baseUrl) {
        console.error('ui-test: no URL (--url or OLY_URL)');
        process.exit(2);
}

let step = 'start';
const log = (msg) => console.log(`ui-test: ${msg}`);
const begin = (name) => {
        step = name;
        log(`step: ${name}`);
};

class Failure extends Error {}
const fail = (msg) => {
        throw new Failure(msg);
};

const stdinLines = createInterface({ input: process.stdin });
const lineQueue = [];
let lineWaiter = null;
stdinLines.on('line', (l) => {
        if (lineWaiter) {
                lineWaiter(l);
                lineWaiter = null;
        } else lineQueue.push(l);
});
const readLine = () => (lineQueue.length ? Promise.resolve(lineQueue.shift()) : new Promise((r) => (lineWaiter = r)));

async function shot(page, name) {
        if (!shotsDir || !page) return;
        mkdirSync(shotsDir, { recursive: true });
        await page.screenshot({ path: join(shotsDir, `${name}.png`) }).catch(() => {});
}

async function main() {
        const browser = await chromium.launch({
                executablePath: chromiumPath,
                headless: true,
                args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
        });
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        // No permission prompt to answer in a headless browser: Notification.requestPermission() says "granted".
        await context.grantPermissions(['notifications'], { origin: baseUrl });
        const page = await context.newPage();
        page.setDefaultTimeout(STEP_TIMEOUT_MS);

        const problems = [];
        // CSP violations (inline style or script, a foreign origin) are bugs of the page: record them all.
        await page.addInitScript(() => {
                window.__cspViolations = [];
                document.addEventListener('securitypolicyviolation', (e) => {
                        window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber || ''})`);
                });
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('console', (m) => {
                if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
        });

        try {
                await run(page, problems);
                await shot(page, 'final');
        } catch (e) {
                await shot(page, 'failure');
                throw e;
        } finally {
                await browser.close();
        }
}

async function run(page, problems) {
        const tid = (id) => page.getByTestId(id);

        begin('open the page');
        const resp = await page.goto(`${baseUrl}/`);
        if (!resp || resp.status() !== 200) fail(`GET / answered ${resp && resp.status()}`);
        const csp = resp.headers()['content-security-policy'] || '';
        // The colour checks below prove xterm works under this policy, so it must be the contract's.
        if (!/default-src 'self'/.test(csp) || !/style-src 'self'(;|$)/.test(csp))
                fail(`GET / is not served with the strict CSP of the contract (got "${csp}")`);

        const status = await page.evaluate(async () => (await fetch('/api/auth/status')).json());
        if (status.auth_required) {
                begin('log in');
                await tid('login-view').waitFor({ state: 'visible' });
                await shot(page, '01-login');
                if (!password) fail('the server requires a password and none was given (--password)');
                await tid('login-password').fill(`${password}-wrong`);
                await tid('login-submit').click();
                await tid('login-error').waitFor({ state: 'visible' });
                const msg = (await tid('login-error').textContent()).trim();
                if (!msg) fail('a wrong password showed an empty error');
                log(`wrong password says: ${msg}`);
                await tid('login-password').fill(password);
                await tid('login-submit').click();
        }

        begin('see the sessions list');
        await tid('list-view').waitFor({ state: 'visible' });
        await page.waitForFunction(() => document.querySelector('[data-testid=conn-status]')?.dataset.state === 'live');
        if (status.auth_required && !(await tid('logout-button').isVisible())) fail('no logout button after logging in');
        await shot(page, '02-list');

        let id = presetId;
        if (!id) {
                begin('wait for a session created from the CLI');
                console.log('ui-test: ready for a session');
                id = (await readLine()).trim();
                if (!id) fail('got an empty session id on stdin');
        }
        log(`session ${id}`);

        begin('see the new session appear live in the list');
        const row = page.locator(`tr[data-testid=session-row][data-id="${id}"]`);
        await row.waitFor({ state: 'visible' });
        const rowStatus = (await row.getByTestId('row-status').textContent()).trim();
        if (!['created', 'running'].includes(rowStatus)) fail(`the new row's status is ${rowStatus}`);
        await shot(page, '03-list-with-session');

        begin('filter the list');
        await tid('session-search').fill(id);
        await page.waitForFunction(() => document.querySelectorAll('tr[data-testid=session-row]').length === 1)
                .catch(() => fail('searching for the id did not leave exactly one row'));
        await tid('session-search').fill('no-such-session-anywhere');
        await tid('sessions-empty').waitFor({ state: 'visible' });
        await tid('session-search').fill('');
        await tid('status-filter').selectOption('ended');
        await row.waitFor({ state: 'hidden' }).catch(() => fail('the running session is shown under the "Ended" filter'));
        await tid('status-filter').selectOption('');
        await row.waitFor({ state: 'visible' });

        begin('open the session');
        await row.click();
        await tid('session-view').waitFor({ state: 'visible' });
        if (!page.url().includes(`#/sessions/${id}`)) fail(`the URL is ${page.url()}`);
        const headerId = (await tid('session-id').textContent()).trim();
        if (headerId !== id) fail(`the session page shows id ${headerId}`);
        await page.waitForFunction(() => document.querySelector('[data-testid=term-status]')?.dataset.state === 'connected');
        await page.waitForFunction(() => window.__olyTerm && window.__olyTerm.cols > 20 && window.__olyTerm.rows > 5);
        const size = await page.evaluate(() => ({ rows: window.__olyTerm.rows, cols: window.__olyTerm.cols }));
        log(`terminal fitted to ${size.cols}x${size.rows}`);

        begin('type a command and see its output');
        const n = 1000 + Math.floor(Math.random() * 9000);
        await page.locator('[data-testid=terminal] .xterm').click();
        // The output (oly-web-<n+1>) differs from the typed line, so only the command's output can match.
        await page.keyboard.type(`echo oly-web-$((${n}+1))`);
        await page.keyboard.press('Enter');
        const expected = `oly-web-${n + 1}`;
        try {
                await page.waitForFunction((s) => window.__olyTermText().includes(s), expected);
        } catch {
                fail(`"${expected}" never appeared in the terminal; it shows:\n${await page.evaluate(() => window.__olyTermText().trimEnd())}`);
        }
        await page.waitForFunction((s) => document.querySelector('[data-testid=terminal] .xterm-rows')?.textContent.includes(s), expected)
                .catch(() => fail('the output is in the xterm buffer but never rendered in .xterm-rows'));

        begin('see colours rendered under the CSP');
        await page.keyboard.type(`printf '\\033[31mred-%s\\033[0m \\033[38;2;10;200;30mtrue-%s\\033[0m\\n' $((${n}+2)) $((${n}+3))`);
        await page.keyboard.press('Enter');
        const colours = await page.waitForFunction(
                ([red, tru]) => {
                        const spans = [...document.querySelectorAll('[data-testid=terminal] .xterm-rows span')];
                        const a = spans.find((s) => s.textContent.includes(red));
                        const b = spans.find((s) => s.textContent.includes(tru));
                        if (!a || !b) return null;
                        const rows = document.querySelector('[data-testid=terminal] .xterm-rows > div');
                        return { red: getComputedStyle(a).color, tru: getComputedStyle(b).color, rowHeight: rows.getBoundingClientRect().height };
                },
                [`red-${n + 2}`, `true-${n + 3}`],
        ).then((h) => h.jsonValue());
        log(`colours: ANSI red ${colours.red}, 24-bit ${colours.tru}, row height ${colours.rowHeight}px`);
        if (colours.red !== 'rgb(244, 112, 103)') fail(`ANSI red rendered as ${colours.red}: xterm's theme stylesheet did not apply (CSP?)`);
        if (colours.tru !== 'rgb(10, 200, 30)') fail(`a 24-bit colour rendered as ${colours.tru}: xterm's inline style did not apply (CSP?)`);
        await shot(page, '04-terminal');

        begin('resize the window and see the session follow');
        await page.setViewportSize({ width: 900, height: 600 });
        await page.waitForFunction((c) => window.__olyTerm.cols < c, size.cols)
                .catch(() => fail('the terminal did not refit after the window shrank'));
        const small = await page.evaluate(() => ({ rows: window.__olyTerm.rows, cols: window.__olyTerm.cols }));
        await page.keyboard.type('echo size-$(stty size | tr " " x)');
        await page.keyboard.press('Enter');
        try {
                await page.waitForFunction((s) => window.__olyTermText().includes(s), `size-${small.rows}x${small.cols}`);
        } catch {
                fail(`the session's terminal is not ${small.rows}x${small.cols} after the resize:\n${await page.evaluate(() => window.__olyTermText().trimEnd())}`);
        }
        log(`session resized to ${small.cols}x${small.rows}`);
        await page.setViewportSize({ width: 1280, height: 800 });

        begin('read the logs tab');
        await tid('tab-logs').click();
        await tid('logs-output').waitFor({ state: 'visible' });
        await page.waitForFunction((s) => document.querySelector('[data-testid=logs-output]').textContent.includes(s), expected);
        await shot(page, '05-logs');
        await tid('tab-terminal').click();

        begin('press Stop and see the session stop');
        await tid('stop-button').click();
        await page.waitForFunction(() => document.querySelector('[data-testid=session-status]')?.dataset.status === 'stopped', null,
                { timeout: 30000 });
        await page.waitForFunction(() => document.querySelector('[data-testid=term-status]')?.dataset.state === 'exited');
        if (!(await tid('stop-button').isDisabled())) fail('Stop is still enabled for a stopped session');
        await shot(page, '06-stopped');

        begin('see the list show it stopped');
        await tid('back-to-list').click();
        await tid('list-view').waitFor({ state: 'visible' });
        await page.waitForFunction((sid) => document.querySelector(`tr[data-id="${sid}"] [data-testid=row-status]`)?.textContent === 'stopped', id);

        await browserNotifications(page, id);

        begin('no CSP violations or page errors');
        const violations = await page.evaluate(() => window.__cspViolations);
        problems.push(...violations.map((v) => `CSP: ${v}`));
        if (problems.length) fail(`the page reported problems:\n  ${[...new Set(problems)].join('\n  ')}`);

        if (status.auth_required) {
                begin('log out');
                await tid('logout-button').click();
                await tid('login-view').waitFor({ state: 'visible' });
                const after = await page.evaluate(async () => (await fetch('/api/sessions')).status);
                if (after !== 401) fail(`after logging out /api/sessions answered ${after}, not 401`);
        }
}

// The "Browser notifications" switch and web/sw.js. Real push delivery cannot be tested offline: there is no
// push service, so pushManager.subscribe() fails in this Chromium and the page must say so and stay usable.
// The service worker's push handler is driven through DevTools (ServiceWorker.deliverPushMessage) instead.
async function browserNotifications(page, id) {
        const tid = (t) => page.getByTestId(t);
        const pushState = () => page.evaluate(() => document.querySelector('[data-testid=push-control]').dataset.state);

        begin('browser notifications: the switch and sw.js');
        const sw = await page.evaluate(async () => {
                const r = await fetch('/sw.js', { cache: 'no-store' });
                return { status: r.status, type: r.headers.get('content-type') || '' };
        });
        if (sw.status !== 200 || !/javascript/.test(sw.type)) fail(`/sw.js answered ${sw.status} with type "${sw.type}"`);
        await tid('push-control').waitFor({ state: 'visible' });
        if ((await pushState()) !== 'off') fail(`the switch starts in state "${await pushState()}", not "off"`);

        begin('browser notifications: turn them on');
        await page.locator('label[for=push-toggle]').click();
        // Either on (a browser with a push service) or off again with an error message; never stuck or broken.
        await page.waitForFunction(() => {
                const st = document.querySelector('[data-testid=push-control]').dataset.state;
                return st === 'on' || (st === 'off' && document.querySelector('[data-testid=toasts] [role=alert]'));
        }).catch(async () => fail(`the switch is in state "${await pushState()}" without an error message`));
        const state = await pushState();
        log(state === 'on' ? 'browser notifications are on' : `turning notifications on says: ${await page.locator('[data-testid=toasts] [role=alert]').last().textContent()}`);
        const scope = await page.evaluate(async () => {
                const r = await navigator.serviceWorker.getRegistration('/');
                return r && r.active ? r.scope : null;
        });
        if (scope !== `${baseUrl}/`) fail(`the service worker's registration is ${scope}, not active with scope ${baseUrl}/`);
        await shot(page, '07-push');

        begin('browser notifications: sw.js shows a push');
        const cdp = await page.context().newCDPSession(page);
        const regs = [];
        cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
        await cdp.send('ServiceWorker.enable');
        for (let i = 0; i < 50 && !regs.some((r) => !r.isDeleted && r.scopeURL === `${baseUrl}/`); i++) await page.waitForTimeout(100);
        const reg = regs.find((r) => !r.isDeleted && r.scopeURL === `${baseUrl}/`);
        if (!reg) fail('DevTools does not list the service worker registration');
        const payload = { title: 'web-ui needs input', body: 'waiting at a prompt', id, trigger: 'input_needed', node: '', url: `/#/sessions/${id}` };
        for (const data of [JSON.stringify(payload), 'not JSON'])
                await cdp.send('ServiceWorker.deliverPushMessage', { origin: baseUrl, registrationId: reg.registrationId, data });
        let shown = [];
        for (let i = 0; i < 100 && shown.length < 2; i++) {
                if (i) await page.waitForTimeout(100);
                shown = await page.evaluate(async () => {
                        const n = await (await navigator.serviceWorker.getRegistration('/')).getNotifications();
                        return n.map((x) => ({ title: x.title, body: x.body, tag: x.tag, url: x.data && x.data.url }));
                });
        }
        await page.evaluate(async () => (await (await navigator.serviceWorker.getRegistration('/')).getNotifications()).forEach((x) => x.close()));
        const mine = shown.find((n) => n.tag === `oly-${id}`);
        if (!mine || mine.title !== payload.title || mine.body !== payload.body || mine.url !== `${baseUrl}/#/sessions/${id}`)
                fail(`the push was shown as ${JSON.stringify(shown)}`);
        if (!shown.some((n) => n.body === 'A session needs input.')) fail(`a payload that is not JSON was shown as ${JSON.stringify(shown)}`);
        await cdp.detach();

        if (state === 'on') {
                begin('browser notifications: turn them off');
                await page.locator('label[for=push-toggle]').click();
                await page.waitForFunction(() => document.querySelector('[data-testid=push-control]').dataset.state === 'off');
        }
}

const timer = setTimeout(() => {
        console.error(`ui-test: FAILED at "${step}": the whole test took longer than ${TOTAL_TIMEOUT_MS / 1000} s`);
        process.exit(1);
}, TOTAL_TIMEOUT_MS);

main().then(
        () => {
                clearTimeout(timer);
                log('all steps passed');
                console.log('1 passed, 0 failed');
                process.exit(0);
        },
        (e) => {
                clearTimeout(timer);
                const detail = e instanceof Failure ? e.message : (e && e.stack) || String(e);
                console.error(`ui-test: FAILED at "${step}": ${detail}`);
                console.log('0 passed, 1 failed');
                process.exit(1);
        },
);
