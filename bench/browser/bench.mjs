// Drives Debian's chromium (playwright-core) through the browser benchmarks:
//   node bench.mjs SITE_URL VALID_LINK
// 1. navigation → verdict for a #bundle= link, real time, fresh profile each run (5 runs);
// 2. SHA-256 of SITE_URL/big.bin in ledgerless's worker vs hash-wasm vs fetch alone.
import { chromium } from 'playwright-core';

const [site, link, only] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });

const verdicts = [];
for (let i = 0; i < (only ? 0 : 5); i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const t0 = Date.now();
  await page.goto(link);
  const el = await page.waitForSelector('#verdict[data-ms]:not([data-ms=""])', { timeout: 20000 });
  const wall = Date.now() - t0;
  verdicts.push({ verdict: await el.getAttribute('data-verdict'), navigationToVerdictMs: Number(await el.getAttribute('data-ms')), wallMs: wall });
  await ctx.close();
}
if (!only) console.log(JSON.stringify({ timeToVerdict: verdicts }));

const page = await browser.newPage();
await page.goto(site + 'bench.html' + (only ? '?only=' + only : ''));
const out = await page.waitForSelector('#out[data-done]', { timeout: 600000 });
console.log(JSON.stringify({ hashing: JSON.parse(await out.textContent()) }));
await browser.close();
