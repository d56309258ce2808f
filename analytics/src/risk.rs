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

/// Classes and records by class size, in fixed buckets.
pub fn distribution(sizes: &[u64]) -> Vec<SizeBucket> {
    const EDGES: [(u64, u64); 9] =
        [(1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 999), (1000, u64::MAX)];
    EDGES
        .iter()
        .map(|&(lo, hi)| {
            let inside = sizes.iter().filter(|&&s| s >= lo && s <= hi);
            SizeBucket {
                sizes: match (lo, hi) {
                    (l, h) if l == h => l.to_string(),
                    (l, u64::MAX) => format!("{l}+"),
                    (l, h) => format!("{l}-{h}"),
                },
                classes: inside.clone().count() as u64,
                records: inside.sum(),
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
}
