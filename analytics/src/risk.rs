//! Re-identification risk and class size distribution from class sizes.
//!
//! Prosecutor: the attacker knows the person is in the data; a record's risk is 1 / its class
//! size. Journalist: the attacker only knows the person is in the population; class sizes in the
//! population are estimated as sample size / sampling fraction (the policy's
//! `sampling_fraction`, 1.0 when the data is the whole population, making it equal to
//! prosecutor risk). Marketer: the expected share of records an attacker re-identifies by
//! linking every record, (1/n) x sum over classes of (sample size / population size).

use serde::Serialize;

/// Records whose risk exceeds this are counted as "at risk" (ARX's default threshold).
pub const RISK_THRESHOLD: f64 = 0.2;

/// Risk figures for one release (or the input).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Risk {
    /// Prosecutor: highest record risk (1 / smallest class).
    pub prosecutor_highest: f64,
    /// Prosecutor: average record risk (classes / records).
    pub prosecutor_average: f64,
    /// Records carrying the highest prosecutor risk.
    pub records_at_highest_risk: u64,
    /// Share of records with prosecutor risk above [`RISK_THRESHOLD`].
    pub share_above_threshold: f64,
    /// Journalist: highest record risk against estimated population classes.
    pub journalist_highest: f64,
    /// Journalist: average record risk.
    pub journalist_average: f64,
    /// Marketer: expected share of records re-identified.
    pub marketer: f64,
}

/// One bar of the class size distribution.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SizeBucket {
    /// The bucket, e.g. `5-9`.
    pub sizes: String,
    /// Classes with a size in the bucket.
    pub classes: u64,
    /// Records in those classes.
    pub records: u64,
}

/// Risk of a dataset whose classes have these sizes.
pub fn risk(sizes: &[u64], sampling_fraction: f64) -> Risk {
    let n: u64 = sizes.iter().sum();
    // The non-empty classes, iterated (not copied: there can be as many as rows).
    let nz = || sizes.iter().copied().filter(|&s| s > 0);
    if n == 0 || nz().next().is_none() {
        return Risk {
            prosecutor_highest: 0.0,
            prosecutor_average: 0.0,
            records_at_highest_risk: 0,
            share_above_threshold: 0.0,
            journalist_highest: 0.0,
            journalist_average: 0.0,
            marketer: 0.0,
        };
    }
    let smallest = nz().min().unwrap_or(1);
    let population = |s: u64| (s as f64 / sampling_fraction).max(s as f64);
    // Each class links s / population(s) = min(1, fraction) of a record, whatever its size, so
    // the sum is classes x that share: one product, the same in any order of the classes.
    let classes = nz().count() as u64;
    let linked = classes as f64 * sampling_fraction.min(1.0) / n as f64;
    Risk {
        prosecutor_highest: 1.0 / smallest as f64,
        prosecutor_average: classes as f64 / n as f64,
        records_at_highest_risk: nz().filter(|&s| s == smallest).sum(),
        share_above_threshold: nz().filter(|&s| 1.0 / s as f64 > RISK_THRESHOLD).sum::<u64>() as f64
            / n as f64,
        journalist_highest: 1.0 / population(smallest),
        journalist_average: linked,
        marketer: linked,
    }
}

/// [`risk`] of classes given as a histogram, `(size, classes of that size)`, in any order:
/// the same figures, bit for bit (each is formed from whole-number counts), without a size per
/// class (a cluster returns the histogram of its classes).
pub fn risk_of_histogram(histogram: &[(u64, u64)], sampling_fraction: f64) -> Risk {
    let nz = || histogram.iter().copied().filter(|&(s, c)| s > 0 && c > 0);
    let n: u64 = nz().map(|(s, c)| s * c).sum();
    let Some(smallest) = nz().map(|(s, _)| s).min() else {
        return risk(&[], sampling_fraction);
    };
    let population = |s: u64| (s as f64 / sampling_fraction).max(s as f64);
    let classes: u64 = nz().map(|(_, c)| c).sum();
    let linked = classes as f64 * sampling_fraction.min(1.0) / n as f64;
    Risk {
        prosecutor_highest: 1.0 / smallest as f64,
        prosecutor_average: classes as f64 / n as f64,
        records_at_highest_risk: nz().filter(|&(s, _)| s == smallest).map(|(s, c)| s * c).sum(),
        share_above_threshold: nz()
            .filter(|&(s, _)| 1.0 / s as f64 > RISK_THRESHOLD)
            .map(|(s, c)| s * c)
            .sum::<u64>() as f64
            / n as f64,
        journalist_highest: 1.0 / population(smallest),
        journalist_average: linked,
        marketer: linked,
    }
}

/// [`distribution`] of classes given as a histogram, `(size, classes of that size)`.
pub fn distribution_of_histogram(histogram: &[(u64, u64)]) -> Vec<SizeBucket> {
    buckets(|lo, hi| {
        let inside = histogram.iter().filter(|&&(s, _)| s >= lo && s <= hi);
        (inside.clone().map(|&(_, c)| c).sum(), inside.map(|&(s, c)| s * c).sum())
    })
}

/// Classes and records by class size, in fixed buckets.
pub fn distribution(sizes: &[u64]) -> Vec<SizeBucket> {
    buckets(|lo, hi| {
        let inside = sizes.iter().filter(|&&s| s >= lo && s <= hi);
        (inside.clone().count() as u64, inside.sum())
    })
}

/// The fixed buckets, each with `(classes, records)` from `inside(lo, hi)`.
fn buckets(inside: impl Fn(u64, u64) -> (u64, u64)) -> Vec<SizeBucket> {
    const EDGES: [(u64, u64); 9] =
        [(1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 999), (1000, u64::MAX)];
    EDGES
        .iter()
        .map(|&(lo, hi)| {
            let (classes, records) = inside(lo, hi);
            SizeBucket {
                sizes: match (lo, hi) {
                    (l, h) if l == h => l.to_string(),
                    (l, u64::MAX) => format!("{l}+"),
                    (l, h) => format!("{l}-{h}"),
                },
                classes,
                records,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        let r = risk(&[1, 4, 5, 10], 1.0);
        assert_eq!(r.prosecutor_highest, 1.0);
        assert_eq!(r.records_at_highest_risk, 1);
        assert!((r.prosecutor_average - 4.0 / 20.0).abs() < 1e-12);
        assert!((r.share_above_threshold - 5.0 / 20.0).abs() < 1e-12);
        assert_eq!(r.journalist_highest, r.prosecutor_highest);
        let half = risk(&[1, 4, 5, 10], 0.5);
        assert_eq!(half.journalist_highest, 0.5);
        assert!((half.marketer - 0.5 * 4.0 / 20.0).abs() < 1e-12);
        let d = distribution(&[1, 4, 5, 10, 1000]);
        assert_eq!(d[0], SizeBucket { sizes: "1".into(), classes: 1, records: 1 });
        assert_eq!(d[2].records, 4);
        assert_eq!(d[8], SizeBucket { sizes: "1000+".into(), classes: 1, records: 1000 });
    }

    /// The figures of a histogram of class sizes are those of the sizes, bit for bit, for
    /// random sizes (zeros and repeats included) and sampling fractions.
    #[test]
    fn a_histogram_of_sizes_gives_the_figures_of_the_sizes() {
        let mut seed = 5u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for case in 0..200 {
            let len = next(40) as usize;
            let top = [3, 12, 60, 2000][case % 4];
            let sizes: Vec<u64> = (0..len).map(|_| next(top)).collect();
            let mut hist: std::collections::BTreeMap<u64, u64> = Default::default();
            for &s in &sizes {
                *hist.entry(s).or_default() += 1;
            }
            // Any order of the histogram's entries.
            let mut h: Vec<(u64, u64)> = hist.into_iter().collect();
            h.reverse();
            for f in [1.0, 0.5, 0.013, 2.0] {
                let (a, b) = (risk(&sizes, f), risk_of_histogram(&h, f));
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{sizes:?} {f}");
            }
            assert_eq!(distribution(&sizes), distribution_of_histogram(&h), "{sizes:?}");
        }
    }
}
