//! Helpers shared by the analytics integration tests.
#![allow(dead_code)] // each test binary uses part of it

/// Deterministic pseudo-random numbers (a 64-bit LCG), so random problems are reproducible.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }

    /// One of `items`, at random.
    pub(crate) fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.next(items.len() as u64) as usize].clone()
    }
}

/// Every node with each level at most `caps[j]`.
pub(crate) fn nodes_within(caps: &[u8]) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    let mut node = vec![0u8; caps.len()];
    loop {
        all.push(node.clone());
        let mut j = 0;
        while j < node.len() && node[j] == caps[j] {
            node[j] = 0;
            j += 1;
        }
        if j == node.len() {
            return all;
        }
        node[j] += 1;
    }
}
