// End-to-end test of Saker's web interface in a real browser: Debian's Chromium
// (/usr/bin/chromium, never a downloaded one) driven by playwright-core, against
// `saker serve --demo` on a loopback port. Run by .ci/run (`npm test` here); screenshots are
// written to e2e/artifacts/ (or $E2E_ARTIFACTS).
//
// Environment: SAKER_BIN (default ../target/debug/saker), CHROMIUM (default /usr/bin/chromium),
// E2E_ARTIFACTS (default ./artifacts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const SAKER = resolve(process.env.SAKER_BIN || join(ROOT, 'target/debug/saker'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS || join(HERE, 'artifacts'));
const RULES = resolve(ROOT, '../shared/reference/falco/rules/falco_rules.yaml');
const DEMO_NOW = '2026-11-20T12:00:00Z';
const CLUSTER = 'risks-aws-eks-workloads-shield';
const SCOPE = `kubernetes.cluster.name=${CLUSTER}`;
const FIRST_QUESTION = 'Summarize the events in this cluster.';
const TIMEOUT = 60_000;

// Chromium flags for a closed network (the machine reaches no host but the registries).
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps',
  '--disable-extensions', '--metrics-recording-only', '--no-default-browser-check',
];

let server;
let base;
let context;
let page;
let dataDir;
let profileDir;
const foreignRequests = [];
// The origin of the attacker's page served by the cross-origin test (a second loopback port).
let attackerOrigin;

/** The ground truth of the seed's first question, from the committed fixture files. */
function groundTruth() {
  const directory = join(ROOT, 'fixtures/scenarios');
  const byRule = new Map();
  let total = 0;
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(directory, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const alert = JSON.parse(line);
      const fields = alert.output_fields || {};
      const cluster = fields['k8s.cluster.name'] || fields['kubernetes.cluster.name'];
      if (cluster !== CLUSTER) continue;
      total += 1;
      byRule.set(alert.rule, (byRule.get(alert.rule) || 0) + 1);
    }
  }
  return { total, byRule };
}

function startServer() {
  return new Promise((resolveStart, rejectStart) => {
    const args = ['serve', '--demo', '--data-dir', dataDir, '--listen', '127.0.0.1:0'];
    if (existsSync(RULES)) args.push('--rules', RULES);
    const child = spawn(SAKER, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAKER_LOG: 'warn' } });
    let output = '';
    const timer = setTimeout(() => rejectStart(new Error('saker serve did not start: ' + output)), TIMEOUT);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match && !base) {
        clearTimeout(timer);
        base = match[1];
        resolveStart(child);
      }
    });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => rejectStart(new Error('saker serve exited with ' + code + ': ' + output)));
  });
}

async function shot(name) {
  const path = join(ARTIFACTS, name + '.png');
  await page.screenshot({ path, fullPage: false });
  return path;
}

before(async () => {
  assert.ok(existsSync(SAKER), `the saker binary is missing at ${SAKER}: run cargo build -p saker first`);
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: apt-get install chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'saker-e2e-data-'));
  profileDir = mkdtempSync(join(tmpdir(), 'saker-e2e-profile-'));
  server = await startServer();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1366, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  // The page must make no request beyond this server: anything else is recorded and refused.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === base || url.origin === attackerOrigin || url.protocol === 'data:') return route.continue();
    foreignRequests.push(url.href);
    return route.abort();
  });
  page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
});

after(async () => {
  if (context) await context.close();
  if (server) server.kill('SIGTERM');
  for (const directory of [dataDir, profileDir]) {
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
});

test('the seed question is answered in the page, streamed, with the fixture figures, and its link opens the filtered feed', async () => {
  const truth = groundTruth();
  assert.equal(truth.total, 300, 'the fixture holds 300 alerts in the seed cluster');
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') pageErrors.push(message.text()); });

  await page.goto(`${base}/?now=${encodeURIComponent(DEMO_NOW)}`);
  await page.getByLabel('Scope', { exact: true }).fill(SCOPE);
  await page.locator('#scope-status', { hasText: `${truth.total} alerts in this scope` }).waitFor();

  // Ask with the keyboard, as an analyst would.
  await page.getByRole('textbox', { name: 'Question', exact: true }).fill(FIRST_QUESTION);
  await page.getByRole('textbox', { name: 'Question', exact: true }).press('Enter');
  const turn = page.locator('.turn').last();
  await turn.locator('.step[data-tool="event_stats"][data-phase="finished"]').waitFor();
  await turn.locator('.turn-meta').waitFor();
  assert.equal(await turn.locator('.question p').innerText(), FIRST_QUESTION);

  // Figures: the total and every row of the "By rule" table match the fixture.
  const answer = turn.locator('.answer');
  const firstParagraph = await answer.locator('p').first().innerText();
  assert.match(firstParagraph, new RegExp(`^${truth.total} alerts between`), firstParagraph);
  const ruleTable = answer.locator('table').filter({ has: page.locator('th', { hasText: /^Rule$/ }) });
  const rows = await ruleTable.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  assert.ok(rows.length > 0, 'the answer has a table by rule');
  for (const [rule, count] of rows) {
    assert.equal(Number(count), truth.byRule.get(rule), `alerts of ${rule}`);
  }
  assert.equal(rows.length, truth.byRule.size, 'every rule of the cluster is listed');
  assert.equal(await turn.locator('.badge.grounded').count(), 1, 'the answer is grounded');
  const steps = await turn.locator('.step').count();
  assert.ok(steps >= 1);
  await turn.locator('.step summary').first().click();
  assert.match(await turn.locator(".step-arguments").first().innerText(), /"group_by"/);
  await shot('chat-answer');

  // Follow the answer's first link to the event feed: the filter is applied there.
  const link = answer.locator('a[href^="/events?"]').first();
  const href = await link.getAttribute('href');
  await Promise.all([page.waitForURL(/\/events\?/), link.click()]);
  const expectedScope = new URL(href, base).searchParams.get('scope');
  assert.equal(await page.getByLabel('Scope', { exact: true }).inputValue(), expectedScope);
  assert.equal(await page.locator('[data-filter="scope"]').innerText(), expectedScope);
  assert.equal(await page.locator('.feed-count').getAttribute('data-total'), String(truth.total));
  const clusters = await page.locator('#feed-table tbody tr td:nth-child(4)').allInnerTexts();
  assert.equal(clusters.length, 50, 'the first page holds 50 alerts');
  assert.ok(clusters.every((cluster) => cluster === CLUSTER), 'every row is in the scope');
  await shot('event-feed');

  // Sort by rule (a header link), then open an alert's detail.
  await Promise.all([page.waitForURL(/sort=rule/), page.locator('th[data-column="rule"] a').click()]);
  assert.equal(await page.locator('th[data-column="rule"]').getAttribute('aria-sort'), 'descending');
  const ruleCells = await page.locator('#feed-table tbody tr td:nth-child(3)').allInnerTexts();
  assert.deepEqual(ruleCells, [...ruleCells].sort().reverse(), 'rows are sorted by rule');
  await Promise.all([page.waitForURL(/\/events\/[^?]+/), page.locator('#feed-table tbody td.time a').first().click()]);
  await page.locator('#ancestry-heading').waitFor();
  assert.ok(await page.locator('.ancestry li').count() >= 2, 'the process ancestry is shown');
  assert.ok(await page.locator('table.fields tbody tr').count() > 5, 'every output field is listed');
  await shot('alert-detail');
  await page.locator('.breadcrumb a').click();
  await page.waitForURL(/\/events\?/);
  assert.equal(await page.locator('.feed-count').getAttribute('data-total'), String(truth.total));

  // The session is listed on the chat page and resumes.
  await page.goto(`${base}/?now=${encodeURIComponent(DEMO_NOW)}`);
  const session = page.locator('#session-list .session', { hasText: FIRST_QUESTION }).first();
  await session.waitFor();
  await session.click();
  await page.locator('.turn .answer p').first().waitFor();
  assert.match(await page.locator('.turn .answer p').first().innerText(), new RegExp(`^${truth.total} alerts`));
  assert.match(page.url(), /#session=/);
  assert.deepEqual(pageErrors, [], 'no script errors and no failed requests');
  page.removeAllListeners('console');
  page.removeAllListeners('pageerror');
});

test('scope errors are shown inline, next to the field', async () => {
  await page.goto(`${base}/?now=${encodeURIComponent(DEMO_NOW)}`);
  await page.getByLabel('Scope', { exact: true }).fill('k8s.ns.name in (');
  await page.locator('#scope[aria-invalid="true"]').waitFor();
  assert.match(await page.locator('#scope-status').innerText(), /scope|expected|\(/i);
  await page.getByRole('textbox', { name: 'Question', exact: true }).fill(FIRST_QUESTION);
  await page.getByRole('button', { name: 'Ask' }).click();
  await page.locator('.turn .error[role="alert"]').waitFor();
  await shot('scope-error');

  // The feed page says it next to its field too.
  await page.goto(`${base}/events?scope=${encodeURIComponent('k8s.ns.name in (')}`);
  assert.equal(await page.locator('#scope').getAttribute('aria-invalid'), 'true');
  assert.ok((await page.locator('#scope-error').innerText()).length > 0);
});

test('alert text cannot inject markup or script into the answer or the feed', async () => {
  const evil = {
    time: '2026-11-20T10:00:00.000000000Z',
    rule: 'Terminal shell in container',
    priority: 'Notice',
    source: 'syscall',
    tags: ['container', 'shell', 'mitre_execution', 'T1059'],
    hostname: 'node-xss',
    output: 'A shell was spawned <img src=x onerror="window.__xss=1">',
    output_fields: {
      'k8s.cluster.name': 'xss-lab',
      'k8s.ns.name': '<script>window.__xss=2</script>',
      'k8s.pod.name': '<img src=x onerror="window.__xss=3">-7d9fbb6c5d-abcde',
      'proc.name': '<b>bash</b>',
      'proc.cmdline': 'bash -c "[click](javascript:window.__xss=4) <svg onload=window.__xss=5>"',
      'proc.pid': 4242,
    },
  };
  const ingest = await fetch(`${base}/v1/events`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(evil),
  });
  assert.equal(ingest.status, 200, await ingest.text());

  await page.goto(`${base}/?now=${encodeURIComponent(DEMO_NOW)}`);
  await page.getByLabel('Scope', { exact: true }).fill('k8s.cluster.name=xss-lab');
  await page.locator('#scope-status', { hasText: '1 alert in this scope' }).waitFor();
  await page.getByRole('textbox', { name: 'Question', exact: true }).fill('Summarize the events in this cluster.');
  await page.getByRole('textbox', { name: 'Question', exact: true }).press('Enter');
  const turn = page.locator('.turn').last();
  await turn.locator('.turn-meta').waitFor();
  const answerText = await turn.locator('.answer').innerText();
  assert.ok(answerText.includes('<script>window.__xss=2</script>'), 'the namespace is shown as text');
  assert.equal(await turn.locator('.answer script, .answer img, .answer svg, .answer b').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  await page.goto(`${base}/events?scope=${encodeURIComponent('k8s.cluster.name=xss-lab')}`);
  assert.ok((await page.locator('#feed-table').innerText()).includes('<script>window.__xss=2</script>'));
  await page.locator('#feed-table tbody td.time a').first().click();
  await page.locator('#fields-heading').waitFor();
  assert.ok((await page.locator('.output').innerText()).includes('<img src=x onerror="window.__xss=1">'));
  assert.equal(await page.locator('main img, main script:not([src]), main svg[onload]').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  // The renderer itself: links only to this server or http(s); raw HTML stays text.
  await page.goto(`${base}/`);
  const rendered = await page.evaluate(() => {
    const host = document.createElement('div');
    host.appendChild(window.SakerMarkdown.render('[a](javascript:alert(1)) [b](/events?scope=x) <i>x</i> `<b>`\n\n| a \\| b | `c|d` |\n|---|---|\n| 1 | 2 |'));
    return { html: host.innerHTML, links: [...host.querySelectorAll('a')].map((a) => a.getAttribute('href')) };
  });
  assert.deepEqual(rendered.links, ['/events?scope=x']);
  assert.ok(rendered.html.includes('&lt;i&gt;x&lt;/i&gt;'), rendered.html);
  assert.ok(!rendered.html.includes('javascript:alert(1)"'), rendered.html);
});

test('a response action is proposed in the page, approved by the local admin, and shows in the history', async () => {
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${base}/?now=${encodeURIComponent(DEMO_NOW)}`);
  await page.getByLabel('Scope', { exact: true }).fill(SCOPE);
  await page.getByRole('textbox', { name: 'Question', exact: true }).fill('Kill the miner process in risk-10-aws-bedrock-java.');
  await page.getByRole('textbox', { name: 'Question', exact: true }).press('Enter');
  const turn = page.locator('.turn').last();
  await turn.locator('.step[data-tool="propose_response_action"][data-phase="finished"]').waitFor();
  const card = turn.locator('.action-panel').first();
  await card.waitFor();
  assert.match(await card.locator('h4').innerText(), /^kill_process · proposed$/);
  assert.match(await card.innerText(), /easyminer/);
  // The server says who we are: the local admin of a loopback server may approve.
  const me = await (await fetch(`${base}/v1/me`)).json();
  assert.equal(me.role, 'admin');
  await card.getByRole('button', { name: 'Approve' }).click();
  await card.locator('p[role="status"]', { hasText: 'Approved' }).waitFor();
  const id = await card.getAttribute('data-action-id');
  const action = await (await fetch(`${base}/v1/actions/${encodeURIComponent(id)}`)).json();
  const record = action.action || action;
  assert.ok(['approved', 'executed', 'succeeded', 'completed'].includes(record.status), `status ${record.status}`);
  await page.locator('#response-history li', { hasText: id }).waitFor();
  await shot('response-action');
  assert.deepEqual(pageErrors, [], 'no script errors');
  page.removeAllListeners('pageerror');
});

test('the reconnaissance report page shows the API figures and a chart whose bars match the daily series', async () => {
  const query = `now=${encodeURIComponent(DEMO_NOW)}&last=7d`;
  const api = await (await fetch(`${base}/v1/reports/recon?${query}&format=json`)).json();
  await page.goto(`${base}/reports/recon?${query}&lang=ja`);
  await page.locator('.report h1').waitFor();
  assert.equal(await page.locator('[data-figure="current-total"]').innerText(), String(api.figures.current.total));
  assert.equal(await page.locator('[data-figure="previous-total"]').innerText(), String(api.figures.previous.total));
  const bars = await page.locator('svg.saker-chart rect.bar.current').evaluateAll((rects) =>
    rects.map((rect) => ({ start: rect.dataset.start, count: Number(rect.dataset.count), height: rect.getBBox().height })));
  assert.deepEqual(bars.map(({ start, count }) => ({ start, count })), api.figures.current.series);
  const scale = bars.filter((bar) => bar.count > 0).map((bar) => bar.height / bar.count);
  for (const each of scale) assert.ok(Math.abs(each - scale[0]) < 0.01, 'bar heights are proportional to counts');
  assert.ok(await page.locator('.follow-up').count() >= 1, 'follow-ups are listed');
  const ids = await page.locator('#report-techniques + table tbody tr td:first-child').allInnerTexts();
  assert.deepEqual(ids, api.figures.techniques.map((row) => row.id));
  await shot('recon-report');
  assert.deepEqual(foreignRequests, [], 'the pages requested nothing beyond the Saker server');
});

/** A page on another loopback origin that tries every request a page elsewhere can make
 * without asking the server first (text/plain fetches, text/plain and urlencoded forms, a
 * beacon) and one it must ask for (a JSON fetch), each to ask, ingest or propose. */
function attackerPage(target) {
  const kill = { message: 'Kill the miner process in risk-10-aws-bedrock-java.', scope: SCOPE, now: DEMO_NOW };
  const alert = {
    time: '2026-11-20T10:30:00.000000000Z', rule: 'Terminal shell in container', priority: 'Notice',
    source: 'syscall', output: 'a shell (proc.name=sh)',
    output_fields: { 'k8s.cluster.name': 'csrf-lab', 'k8s.ns.name': 'csrf', 'proc.name': 'sh' },
  };
  const propose = { scope: SCOPE, kinds: ['kill_process'], process: 'easyminer', now: DEMO_NOW };
  const literal = (value) => JSON.stringify(JSON.stringify(value));
  return `<!doctype html><html><head><meta charset="utf-8"><title>elsewhere</title></head><body>
<iframe name="sink-chat"></iframe><iframe name="sink-events"></iframe><iframe name="sink-form"></iframe>
<script>
const TARGET = ${JSON.stringify(target)};
const KILL = ${literal(kill)};
const ALERT = ${literal(alert)};
const PROPOSE = ${literal(propose)};
window.attempts = [];
async function attempt(name, run) {
  try { await run(); window.attempts.push(name + ': sent'); } catch (error) { window.attempts.push(name + ': ' + error.message); }
}
const simple = (path, body) => fetch(TARGET + path, {
  method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body,
});
function submitForm(path, enctype, sink, fields) {
  const form = document.createElement('form');
  Object.assign(form, { method: 'POST', action: TARGET + path, enctype, target: sink });
  for (const [name, value] of fields) {
    const input = document.createElement('input');
    Object.assign(input, { type: 'hidden', name, value });
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}
(async () => {
  await attempt('chat text/plain fetch', () => simple('/v1/chat', KILL));
  await attempt('events text/plain fetch', () => simple('/v1/events', ALERT));
  await attempt('propose text/plain fetch', () => simple('/v1/tools/propose_response_action', PROPOSE));
  await attempt('events beacon', async () => {
    if (!navigator.sendBeacon(TARGET + '/v1/events', new Blob([ALERT], { type: 'text/plain' }))) throw new Error('not queued');
  });
  await attempt('events JSON fetch', () => fetch(TARGET + '/v1/events', {
    method: 'POST', mode: 'cors', credentials: 'include', headers: { 'content-type': 'application/json' }, body: ALERT,
  }));
  // A text/plain form sends name=value: the name carries the JSON up to a padding key.
  const jsonForm = (text) => [[text.slice(0, -1) + ',"pad":"', '"}']];
  await attempt('chat text/plain form', () => submitForm('/v1/chat', 'text/plain', 'sink-chat', jsonForm(KILL)));
  await attempt('events text/plain form', () => submitForm('/v1/events', 'text/plain', 'sink-events', jsonForm(ALERT)));
  await attempt('propose urlencoded form', () => submitForm('/v1/tools/propose_response_action',
    'application/x-www-form-urlencoded', 'sink-form', [['kinds', 'kill_process'], ['process', 'easyminer']]));
  const done = document.createElement('p');
  done.id = 'done';
  done.textContent = 'done';
  document.body.appendChild(done);
})();
</script></body></html>`;
}

/** What the server holds: alerts, proposed actions, sessions, and alerts of the attacker's cluster. */
async function holdings() {
  const health = await (await fetch(`${base}/healthz`)).json();
  const actions = await (await fetch(`${base}/v1/actions`)).json();
  const sessions = await (await fetch(`${base}/v1/sessions`)).json();
  const feed = await fetch(`${base}/v1/events?scope=${encodeURIComponent('k8s.cluster.name=csrf-lab')}`, {
    headers: { accept: 'application/json' },
  });
  assert.equal(feed.status, 200, await feed.clone().text());
  const lab = await feed.json();
  return { alerts: health.alerts, actions: actions.actions.length, sessions: sessions.sessions.length, lab: lab.total };
}

test('a page on another loopback origin cannot ask, ingest or propose through the browser; the app still works', async () => {
  const before = await holdings();
  assert.equal(before.lab, 0, 'the attacker cluster starts empty');
  const attacker = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(attackerPage(base));
  });
  await new Promise((listening) => attacker.listen(0, '127.0.0.1', listening));
  attackerOrigin = `http://127.0.0.1:${attacker.address().port}`;
  assert.notEqual(attackerOrigin, base);
  const evil = await context.newPage();
  const posts = [];
  evil.on('response', (response) => {
    const request = response.request();
    if (request.method() === 'POST' && new URL(request.url()).origin === base) {
      posts.push({ url: request.url(), status: response.status() });
    }
  });
  try {
    await evil.goto(`${attackerOrigin}/`);
    await evil.locator('#done').waitFor();
    const attempts = await evil.evaluate(() => window.attempts);
    assert.equal(attempts.length, 8, attempts.join('\n'));
    // The seven requests a browser sends without asking reached the server and were refused;
    // the JSON fetch needs the server's permission first (it gives none, so the fetch fails;
    // were it sent, it would be refused like the others).
    const deadline = Date.now() + 15_000;
    while (posts.length < 7 && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 100));
    assert.ok(posts.length >= 7, `the server answered the simple requests: ${JSON.stringify(posts)}`);
    assert.ok(!attempts.includes('events JSON fetch: sent'), attempts.join('\n'));
    for (const post of posts) assert.equal(post.status, 403, `${post.url} was refused: ${JSON.stringify(posts)}`);
    for (const path of ['/v1/chat', '/v1/events', '/v1/tools/propose_response_action']) {
      assert.ok(posts.some((post) => new URL(post.url).pathname === path), `a request to ${path} was tried`);
    }
  } finally {
    await evil.close();
    attacker.closeAllConnections(); // the browser keeps idle connections open
    await new Promise((closed) => attacker.close(closed));
  }
  assert.deepEqual(await holdings(), before, 'no alert ingested, no action proposed, no chat recorded');

  // The app's own page still asks, on the same server, in the same browser.
  await page.goto(`${base}/?now=${encodeURIComponent(DEMO_NOW)}`);
  await page.getByLabel('Scope', { exact: true }).fill(SCOPE);
  await page.getByRole('textbox', { name: 'Question', exact: true }).fill(FIRST_QUESTION);
  await page.getByRole('textbox', { name: 'Question', exact: true }).press('Enter');
  const turn = page.locator('.turn').last();
  await turn.locator('.turn-meta').waitFor();
  assert.match(await turn.locator('.answer p').first().innerText(), /^\d+ alerts between/);
  assert.equal((await holdings()).sessions, before.sessions + 1, 'the page\'s own question is recorded');
  assert.deepEqual(foreignRequests, [], 'the pages requested nothing beyond the two servers');
});
