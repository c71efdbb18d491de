// Writes the README's screenshots (docs/*.png) from a live `saker serve --demo`, in Debian's
// Chromium: the chat page answering the seed's first question, the event feed it links to, and
// the Japanese reconnaissance report. Run: `cargo build -p saker && cd e2e && npm run screenshots`.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const SAKER = resolve(process.env.SAKER_BIN || join(ROOT, 'target/debug/saker'));
const RULES = resolve(ROOT, '../shared/reference/falco/rules');
const OUT = resolve(process.env.SCREENSHOTS || join(ROOT, 'docs'));
const DEMO_NOW = '2026-11-20T12:00:00Z';

const data = mkdtempSync(join(tmpdir(), 'saker-shots-data-'));
const profile = mkdtempSync(join(tmpdir(), 'saker-shots-profile-'));
const args = ['serve', '--demo', '--data-dir', data, '--listen', '127.0.0.1:0'];
for (const file of ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml']) {
  if (existsSync(join(RULES, file))) args.push('--rules', join(RULES, file));
}
const server = spawn(SAKER, args, { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolveBase, rejectBase) => {
  let output = '';
  server.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match) resolveBase(match[1]);
  });
  server.on('exit', (code) => rejectBase(new Error('saker serve exited with ' + code)));
});

mkdirSync(OUT, { recursive: true });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1366, height: 860 },
  timezoneId: 'UTC',
});
try {
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(`${base}/?now=${encodeURIComponent(DEMO_NOW)}`);
  await page.getByLabel('Scope', { exact: true }).fill('kubernetes.cluster.name=risks-aws-eks-workloads-shield');
  await page.locator('#scope-status', { hasText: '300 alerts in this scope' }).waitFor();
  const question = page.getByRole('textbox', { name: 'Question', exact: true });
  await question.fill('What was the root cause of the malicious binary detected in risk-10-aws-bedrock-java?');
  await question.press('Enter');
  await page.locator('.turn .turn-meta').waitFor();
  await page.locator('.turn').first().evaluate((turn) => turn.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(OUT, 'chat.png') });

  await page.locator('.turn .answer a[href^="/events?"]').first().click();
  await page.waitForURL(/\/events\?/);
  await page.screenshot({ path: join(OUT, 'event-feed.png') });

  await page.goto(`${base}/reports/recon?now=${encodeURIComponent(DEMO_NOW)}&last=7d&lang=ja`);
  await page.locator('.report h1').waitFor();
  await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
  console.log(`screenshots written to ${OUT}`);
} finally {
  await context.close();
  server.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
