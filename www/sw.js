// The ledgerless verifier's service worker: after one visit, the app works with no network.
//
// What it keeps (docs/architecture.md, "Offline"; the choices: docs/design/0014-offline-verifier.md):
// the app shell (index.html, every ./file.js|.wasm|.css index.html names, the hashing worker's
// files) and trust.json, in one cache per deploy, named by the SHA-256 of index.html (Trunk
// names the app's files by their hash, so a new deploy has a new index.html). It answers only
// the page, trust.json and the shell files its newest complete version holds. Network first:
// online, every such request goes to the site, so a new deploy and a changed trust.json take
// effect at once; the cache answers only when the network does not. A new index.html seen online
// is cached with all its files as a new version; the older versions are deleted once it is
// complete.
//
// What it never keeps: anything else (an issuer's or publisher's log: checkpoints, status lists,
// tiles, entries; release files; bundles). Those requests never reach the cache: offline they
// fail, and the app says revocation was not checked, never that a stale status is current.
'use strict';

// Bump when this file's caching logic changes: caches of other prefixes are deleted.
const PREFIX = 'ledgerless-shell-v1-';
// Written last into a version's cache: only a complete version is ever served.
const COMPLETE = '.ledgerless-shell-complete';
// Shell files index.html does not name: the hashing Web Worker (started by the app, see
// www/src/hooks/use_hasher.rs), and the site's trust list if it has one (a bare `dist/` has none).
const EXTRA = ['hasher_loader.js', 'hasher.js', 'hasher_bg.wasm'];
const OPTIONAL = ['trust.json'];

const scope = () => new URL(self.registration.scope);
const at = (path) => new URL(path, scope()).href;

async function sha256(text) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The same-site files index.html names ("./www-….js", "./style-….css", …).
function named(html) {
  const files = new Set();
  for (const m of html.matchAll(/["']\.\/([A-Za-z0-9_.-]+\.(?:js|wasm|css))["']/g)) files.add(m[1]);
  return files;
}

// A copy of `r` marked with when it was saved (x-ledgerless-saved-at, milliseconds since the
// epoch): served offline, it tells the app its trust list is an old copy, and how old.
async function stamped(r) {
  const headers = new Headers(r.headers);
  headers.set('x-ledgerless-saved-at', String(Date.now()));
  return new Response(await r.blob(), { status: r.status, statusText: r.statusText, headers });
}

// The newest complete version's cache, or null.
async function shell() {
  let best = null;
  let bestAt = -1;
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX)) continue;
    const cache = await caches.open(name);
    const done = await cache.match(at(COMPLETE));
    if (!done) continue;
    const t = Number(await done.text());
    if (t > bestAt) [best, bestAt] = [cache, t];
  }
  return best;
}

// The top-level shell files the newest complete version holds (the names its index.html lists,
// and EXTRA): the only .js/.wasm/.css requests this worker answers. Loaded when the worker
// starts, replaced when a new version is complete; null until loaded.
let listed = null;
async function loadListed() {
  const cache = await shell();
  const names = new Set();
  const base = scope().href;
  for (const req of cache ? await cache.keys() : []) {
    const name = req.url.startsWith(base) ? req.url.slice(base.length) : '';
    if (/^[A-Za-z0-9_.-]+\.(?:js|wasm|css)$/.test(name)) names.add(name);
  }
  listed = names;
  return names;
}
// A Cache Storage failure leaves nothing listed: every such request then goes to the network.
const reload = () => loadListed().catch(() => (listed = new Set()));
let listedReady = reload();

// Caches the version `index` (a fresh response for index.html) with every file it needs, unless
// it is cached already; then deletes every other version. All or nothing: a file that cannot be
// fetched leaves the older version in place.
async function store(index) {
  const html = await index.clone().text();
  const name = PREFIX + (await sha256(html));
  const cache = await caches.open(name);
  if (!(await cache.match(at(COMPLETE)))) {
    const files = [...new Set([...named(html), ...EXTRA, ...OPTIONAL])];
    const got = await Promise.all(
      files.map(async (f) => {
        const r = await fetch(at(f), { cache: 'no-cache' });
        if (r.status === 404 && OPTIONAL.includes(f)) return null;
        if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`);
        return [f, r];
      }),
    );
    for (const [f, r] of got.filter(Boolean)) await cache.put(at(f), OPTIONAL.includes(f) ? await stamped(r) : r);
    await cache.put(at(''), index.clone());
    await cache.put(at('index.html'), index);
    await cache.put(at(COMPLETE), new Response(String(Date.now())));
  }
  for (const old of await caches.keys()) {
    if (old.startsWith('ledgerless-shell-') && old !== name) await caches.delete(old);
  }
  listedReady = reload();
}

self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(
    fetch(at(''), { cache: 'no-cache' }).then((r) => {
      if (!r.ok || r.redirected) throw new Error(`index.html: HTTP ${r.status}`);
      return store(r);
    }),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const old of await caches.keys()) {
        if (old.startsWith('ledgerless-shell-') && !old.startsWith(PREFIX)) await caches.delete(old);
      }
      await self.clients.claim();
    })(),
  );
});

// The network's answer; if there is none (offline, site down), the cached copy of `key`.
// `init` (optional) adjusts the request, e.g. `{ cache: 'no-cache' }`.
async function networkFirst(event, key, keep, init) {
  try {
    const r = await (init ? fetch(event.request, init) : fetch(event.request));
    if (r.ok && !r.redirected) event.waitUntil(keep(r.clone()).catch(() => {}));
    return r;
  } catch (offline) {
    const cache = await shell();
    const copy = cache && (await cache.match(key));
    if (copy) return copy;
    throw offline;
  }
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const u = new URL(req.url);
  const s = scope();
  if (u.origin !== s.origin || !u.pathname.startsWith(s.pathname)) return;
  const path = u.pathname.slice(s.pathname.length);
  if (path === '' || path === 'index.html') {
    // The page: a newer deploy seen online is cached as a new version. Always revalidated
    // (`no-cache`): the site sends Last-Modified without Cache-Control, so the browser's HTTP
    // cache would otherwise keep serving an older index.html for a while after a deploy.
    event.respondWith(networkFirst(event, at(''), store, { cache: 'no-cache' }));
  } else if (path === 'trust.json') {
    // The trust list: the newest one seen online is the one used offline.
    event.respondWith(
      networkFirst(event, at(path), async (r) => {
        const cache = await shell();
        if (cache) await cache.put(at(path), await stamped(r));
      }),
    );
  } else if (!path.includes('/') && /\.(?:js|wasm|css)$/.test(path)) {
    // The app's own files (cached with their version, by `store`) and only those: any other
    // name goes to the network untouched. Until the list is loaded (the worker just started),
    // the request waits for it, and a name not on it is fetched as if the worker were absent.
    if (listed && !listed.has(path)) return;
    event.respondWith(
      (async () => {
        const names = listed || (await listedReady);
        if (!names.has(path)) return fetch(req);
        return networkFirst(event, at(path), async () => {});
      })(),
    );
  }
  // Anything else (logs, releases, bundles) goes to the network untouched and is never cached.
});
