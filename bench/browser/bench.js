// Hashes big.bin (streamed from this site) in ledgerless's worker and in hash-wasm's, three
// times each, alternating; writes JSON results into #out.
const hex = (a) => Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');

function ours(url) {
  return new Promise((resolve, reject) => {
    const w = new Worker('./hasher_loader.js');
    let t0 = 0;
    w.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m === 'Ready') {
        t0 = performance.now();
        w.postMessage({ job: JSON.stringify({ id: 0, url, recount: null }) });
      } else if (m.Done) {
        const ms = performance.now() - t0;
        w.terminate();
        resolve({ hex: hex(m.Done[1].sha256), bytes: m.Done[1].bytes, ms });
      } else if (m.Failed || m.Missing !== undefined) {
        reject(new Error(JSON.stringify(m)));
      }
    };
  });
}

function reference(url, mode) {
  return new Promise((resolve) => {
    const w = new Worker('./hw-worker.js');
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.postMessage({ url, mode });
  });
}

(async () => {
  // ?only=ledgerless|hashwasm|fetchOnly runs one of them (to attribute memory).
  const only = new URLSearchParams(location.search).get('only');
  const run = { fetchOnly: () => reference('big.bin', 'fetch-only'), ledgerless: () => ours('big.bin'), hashwasm: () => reference('big.bin', 'hash') };
  const out = {};
  for (let i = 0; i < 3; i++) {
    for (const k of Object.keys(run)) {
      if (only && k !== only) continue;
      (out[k] = out[k] || []).push(await run[k]());
    }
  }
  const el = document.getElementById('out');
  el.textContent = JSON.stringify(out);
  el.dataset.done = 'true';
})().catch((e) => {
  const el = document.getElementById('out');
  el.textContent = 'error: ' + e;
  el.dataset.done = 'true';
});
