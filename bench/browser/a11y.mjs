// Accessibility audit (axe-core, WCAG 2.0/2.1/2.2 A and AA rules) of the app's states, in
// Debian's chromium at a desktop and a phone viewport:
//   node a11y.mjs VALID_LINK RELEASE_LINK [UNCHECKED_LINK]
// (UNCHECKED_LINK: a credential whose revocation cannot be checked, shown amber.)
// Prints each page state's violations and exits 1 if there is any.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [valid, release, unchecked] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
let failures = 0;

async function audit(page, label) {
  // axe is injected through the DevTools protocol, so the site's CSP does not apply to it.
  await page.evaluate(axe);
  const r = await page.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }));
  console.log(`${label}: ${r.passes.length} rules passed, ${r.violations.length} violated`);
  for (const v of r.violations) {
    failures++;
    console.log(`  ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes.slice(0, 3)) console.log(`    ${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1).join(' ')}`);
  }
}

for (const [vw, vh, name] of [[1280, 900, 'desktop'], [390, 844, 'phone']]) {
  const ctx = await browser.newContext({ viewport: { width: vw, height: vh }, bypassCSP: false });
  const page = await ctx.newPage();
  await page.goto(valid);
  await page.waitForSelector('#verdict');
  await page.click('#verdict details summary');
  await page.click('#local-trust summary');
  await audit(page, `${name}: credential verdict`);
  await page.goto(release);
  await page.reload();
  await page.waitForSelector('#release-verdict');
  await page.click('#fetch-files');
  await page.waitForSelector('#files[data-done="6"]', { timeout: 60000 });
  await audit(page, `${name}: release with its files checked`);
  if (unchecked) {
    await page.goto(unchecked);
    await page.waitForSelector('#verdict[data-verdict="unchecked"]', { timeout: 30000 });
    await page.click('#verdict details summary');
    await audit(page, `${name}: revocation could not be checked`);
  }
  await ctx.close();
}
await browser.close();
process.exit(failures ? 1 : 0);
