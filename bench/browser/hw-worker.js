// Reference SHA-256 for the benchmark: hash-wasm, in a worker, over the same streamed fetch
// as ledgerless's hasher. With "fetch-only" it just drains the stream (the I/O floor).
importScripts('./sha256.umd.min.js');
onmessage = async (e) => {
  const { url, mode } = e.data;
  const t0 = performance.now();
  const h = mode === 'fetch-only' ? null : await hashwasm.createSHA256();
  const r = await fetch(url, { cache: 'no-store' }); // as ledgerless's worker does
  const reader = r.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (h) h.update(value);
    bytes += value.length;
  }
  postMessage({ hex: h ? h.digest('hex') : '', bytes, ms: performance.now() - t0 });
};
