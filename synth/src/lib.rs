//! The primitives both synthetic data generators (`issuer::synth`, registrants; `analytics::synth`,
//! patients) share, so that the same arguments give the same bytes on every platform:
//! a self-contained xoshiro256** generator seeded through SplitMix64 ([`Rng`]), keyed
//! bijections for identifiers ([`permute32`], [`permute64`], [`permute_below`]), and day
//! arithmetic on the proleptic Gregorian calendar ([`days_from_civil`], [`civil_from_days`],
//! [`add_months`]), and decimal formatting ([`push_decimal`]). No floating-point formatting, no
//! hash-map iteration, no clock.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// ---------------------------------------------------------------------------------------------
// Randomness: xoshiro256** seeded through SplitMix64.

/// One step of SplitMix64: advances `state` and returns the next output (a bijection of the
/// counter, so distinct states give distinct outputs).
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A xoshiro256** generator: deterministic for its seed on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for `seed` (its state is four SplitMix64 outputs).
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        // SplitMix64 is a bijection of its counter, so the four words are never all zero.
        Rng { s: [splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm)] }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below `n / 2⁶⁴`, under 2⁻³⁵ for
    /// the sizes the generators use).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`; `lo` when the range is empty.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i32
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen item of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An item of a non-empty slice, chosen with probability proportional to its weight.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|&(_, w)| w).sum();
        let mut x = self.below(u64::from(total)) as u32;
        for &(item, w) in items {
            if x < w {
                return item;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }
}

// ---------------------------------------------------------------------------------------------
// Keyed bijections, for identifiers that are unique and look random.

/// A keyed bijection of `u32` (each step is invertible).
pub fn permute32(x: u32, key: u64) -> u32 {
    let mut x = x ^ key as u32;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_add((key >> 32) as u32);
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// A keyed bijection of `u64`.
pub fn permute64(x: u64, key: u64) -> u64 {
    let mut x = x ^ key;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 31;
    x = x.wrapping_add(key.rotate_left(29));
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 29;
    x
}

/// A keyed bijection of `0..2^bits` (`2 <= bits <= 32`).
pub fn permute_bits(mut x: u64, bits: u32, key: u64) -> u64 {
    let mask = (1u64 << bits) - 1;
    for round in 0..3 {
        x = (x + (key >> (round * 16))) & mask;
        x = x.wrapping_mul(0x2545_f491_4f6c_dd1d) & mask; // odd: invertible modulo 2^bits
        x ^= x >> (bits / 2);
    }
    x
}

/// A keyed bijection of `0..n` (cycle walking over `0..2^bits`, `n <= 2^bits`); `x < n`.
pub fn permute_below(x: u64, n: u64, bits: u32, key: u64) -> u64 {
    let mut y = x;
    loop {
        // Terminates: the permutation's cycle through `x` returns to `x`, which is below `n`.
        y = permute_bits(y, bits, key);
        if y < n {
            return y;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dates, as days since 1970-01-01.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub const fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The date `(year, month, day)` of a day number (inverse of [`days_from_civil`]).
pub const fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The number of days in month `m` of year `y`.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    let yu = y.unsigned_abs();
    let leap = yu.is_multiple_of(4) && (!yu.is_multiple_of(100) || yu.is_multiple_of(400));
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `day` moved by whole calendar months, the day of the month clamped to the month's length.
pub fn add_months(day: i32, months: i32) -> i32 {
    let (y, m, d) = civil_from_days(day);
    let total = y * 12 + (m as i32 - 1) + months;
    let ny = total.div_euclid(12);
    let nm = total.rem_euclid(12) as u32 + 1;
    days_from_civil(ny, nm, d.min(days_in_month(ny, nm)))
}

// ---------------------------------------------------------------------------------------------
// Output.

/// Appends `v` in decimal, zero-padded to at least `width` digits (at most 20).
pub fn push_decimal(b: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 && tmp.len() - i >= width.min(20) {
            break;
        }
    }
    b.extend_from_slice(&tmp[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(civil_from_days(add_months(days_from_civil(2024, 2, 29), 12)), (2025, 2, 28));
        assert_eq!(civil_from_days(add_months(days_from_civil(2026, 1, 31), -2)), (2025, 11, 30));
        for z in -800_000..800_000 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn decimals() {
        let mut b = Vec::new();
        push_decimal(&mut b, 0, 1);
        push_decimal(&mut b, 7, 2);
        push_decimal(&mut b, u64::MAX, 1);
        assert_eq!(b, b"00718446744073709551615");
    }

    #[test]
    fn permutations_are_bijections() {
        let mut seen = std::collections::HashSet::new();
        for x in 0..10_000 {
            assert!(seen.insert(permute_below(x, 10_000, 14, 42)));
        }
        let ids: std::collections::HashSet<u32> = (0..100_000).map(|x| permute32(x, 7)).collect();
        assert_eq!(ids.len(), 100_000);
    }
}
