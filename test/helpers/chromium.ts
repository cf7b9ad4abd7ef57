// Real Chromium for the pages that need a browser: Debian's `chromium` driven by playwright-core
// (npm cannot download a browser build here), and axe-core run inside the page. One browser per
// test file: each launch costs seconds on a small machine.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Launches Chromium. playwright-core gives every launch a fresh, temporary profile of its own
 * (removed on close), and each `browser.newContext()` is isolated from the others like a new
 * private window: one browser serves a whole file, one context per person.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core in the page and fails listing every violation. The source is evaluated, not added
 * as a <script>: our pages' CSP allows same-origin script files only.
 */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  axeSource ??= readFileSync(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  // A string, run in the page: the test's own TypeScript knows no DOM.
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document).then((result) => result.violations.map(
    ({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.map((node) => ({ target: node.target })) })))`);
  if (violations.length > 0) {
    const list = violations.map((v) => `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${v.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`);
    throw new Error(`axe-core found ${violations.length} violation(s) on ${page.url()}:\n${list.join('\n')}`);
  }
}
