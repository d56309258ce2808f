//! The optimal search: full-domain generalisation over the lattice of hierarchy levels.
//!
//! Works on the distinct combinations of quasi-identifier (and sensitive) codes with their row
//! counts, never on rows. The result is exactly optimal: among the nodes that meet the criteria
//! within the suppression limit, the lowest cost; ties go to the lower weighted total level,
//! then the lower total level, then the lexicographically smaller node (`better`). Nothing in
//! the walk depends on timing or on the number of threads.
//!
//! **Two phases.** Privacy has a *monotone part* (k, and distinct l; see `Engine`): if a node
//! has it, so do all its generalisations. Phase 1 classifies the nodes by it, Flash-style: from
//! the lowest unclassified node, a path climbs through unclassified generalisations to the top
//! of what can still matter, and the nodes on it are checked from the top down until one fails
//! (a failing node's specialisations all fail, a passing node's generalisations all pass: both
//! are tagged without a check). Phase 2 then checks, bottom-up, the passing nodes phase 1 did
//! not, and keeps the best.
//!
//! **Pruning by bounds, in both directions.** A node can be skipped (not even classified) when
//! a lower bound of its cost exceeds the best cost found. Bounds that only grow under
//! generalisation exclude a node *and all its generalisations*: the metric without suppression
//! (loss, entropy), N^2 over the most classes possible, and for discernibility the sum over a
//! checked specialisation's classes of size x max(k, size) (a class costs at least that, kept
//! or suppressed, and merging classes only adds to it). Suppression gives a bound in the other
//! direction: the rows failing the monotone part only grow under specialisation, and each costs
//! N (discernibility) or a whole row's loss when suppressed, so a checked node whose failing
//! rows already cost more than the best excludes itself *and all its specialisations*. A node
//! also fails, without a check, when a single column has so many labels in use at its level
//! that the classes beyond N / k (at most that many hold k rows) hold more failing rows than the
//! limit allows.
//!
//! **Roll-ups.** Every hierarchy level is a function of the level below, so a node's classes
//! are unions of any specialisation's classes. A check groups the *snapshot* (one entry per
//! class, with a combination standing for its labels and its rows) of a checked specialisation
//! instead of all combinations: phase 2 uses a direct specialisation; phase 1 the smallest kept
//! snapshot below, and when only large ones are, first checks "stepping stones" (the
//! specialisations that raise the node's columns one at a time, most labels first), which many
//! later checks share. Under distinct l-diversity a snapshot keeps, per class, up to l distinct
//! values of each sensitive column (enough to decide it, and exact under union); under entropy
//! and recursive l-diversity, one entry per class and tuple of sensitive values. Grouping keys
//! are mixed-radix label codes: directly indexed when the key space is small, else hashed.
//!
//! Attribute priorities ([`Problem::with_priorities`]): a per-column `max_level` restricts the
//! lattice to the nodes whose every level is at most that column's cap. The restricted lattice is
//! a down-set of the full one, so the generalisations and specialisations used for tagging and
//! bounds stay inside it and the arguments above hold unchanged. Per-column weights scale each
//! column's share of `loss` and `entropy`; they are normalised to a mean of 1, so all-default
//! weights give exactly the unweighted values. Discernibility is not per column: for it (and for
//! every metric) weights only break ties, by the lower weighted total level.

use rustc_hash::FxHashMap;

use crate::counts::Codes;
use crate::hierarchy::Generalisation;
use crate::policy::{Diversity, Metric};

/// Distinct combinations of codes with their counts (the input of the search).
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// Per quasi-identifier, the level-0 code of each combination (packed as counted, when
    /// the codes fit in 64 bits).
    pub qi: Codes,
    /// Per sensitive attribute, the value code of each combination.
    pub sensitive: Vec<Vec<u32>>,
    /// Per sensitive attribute, the number of distinct codes.
    pub sensitive_card: Vec<u32>,
    /// Rows of each combination.
    pub count: Vec<u64>,
}

impl Base {
    /// Number of combinations.
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// True when there are no combinations.
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// Sizes of the classes of the original values (the lattice's bottom, nothing suppressed),
    /// in the order [`Problem::class_sizes`] gives them, by one scan: when the combinations are
    /// sorted by their quasi-identifier codes, a class is a run of equal codes. `None` when they
    /// are not sorted so.
    pub fn bottom_class_sizes(&self) -> Option<Vec<u64>> {
        let mut sizes: Vec<u64> = Vec::new();
        for i in 0..self.len() {
            if i > 0 {
                match self.qi.compare(i - 1, i) {
                    std::cmp::Ordering::Equal => {
                        if let Some(last) = sizes.last_mut() {
                            *last += self.count[i];
                        }
                        continue;
                    }
                    std::cmp::Ordering::Greater => return None,
                    std::cmp::Ordering::Less => {}
                }
            }
            sizes.push(self.count[i]);
        }
        Some(sizes)
    }
}

/// The privacy requirement every released class must meet.
#[derive(Debug, Clone)]
pub struct Criteria {
    /// Minimum class size.
    pub k: u64,
    /// Most rows that may be suppressed.
    pub max_suppressed: u64,
    /// l and variant per sensitive attribute (same order as `Base::sensitive`).
    pub diversity: Vec<(u64, Diversity)>,
}

/// The outcome of checking one node.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Generalisation level per quasi-identifier.
    pub node: Vec<u8>,
    /// Whether the node meets the criteria within the suppression limit.
    pub anonymous: bool,
    /// Rows in classes that fail the criteria (suppressed if this node is chosen).
    pub suppressed: u64,
    /// Classes that meet the criteria.
    pub classes: u64,
    /// Smallest class that meets the criteria (0 if none).
    pub min_class: u64,
    /// Discernibility: sum of squared kept class sizes + suppressed x rows.
    pub discernibility: u128,
    /// Generalisation intensity, 0 (nothing generalised) to 1 (everything suppressed).
    pub loss: f64,
    /// Non-uniform entropy, bits lost over all cells.
    pub entropy: f64,
    /// Per sensitive attribute: fewest distinct values in a kept class.
    pub l_distinct: Vec<u64>,
    /// Per sensitive attribute: smallest exp(entropy) in a kept class (entropy l-diversity's l).
    pub l_entropy: Vec<f64>,
}

impl Evaluation {
    /// The value of `metric` for this node.
    pub fn cost(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Discernibility => self.discernibility as f64,
            Metric::Loss => self.loss,
            Metric::Entropy => self.entropy,
        }
    }
}

/// The classes of a node, for writing the release and measuring risk.
#[derive(Debug, Clone, Default)]
pub struct Classes {
    /// Sizes of the classes that are kept.
    pub kept_sizes: Vec<u64>,
    /// Label codes (per quasi-identifier) of the classes that are suppressed.
    pub suppressed_labels: Vec<Vec<u32>>,
    /// Rows of each suppressed class (same order).
    pub suppressed_sizes: Vec<u64>,
    /// Per quasi-identifier and label code: rows kept with that label.
    pub kept_label_rows: Vec<FxHashMap<u32, u64>>,
}

/// Statistics of the search itself.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SearchStats {
    /// Nodes in the lattice.
    pub lattice_size: u64,
    /// Nodes whose classes were computed.
    pub checked: u64,
    /// Nodes known to fail because a generalisation of theirs failed.
    pub tagged: u64,
    /// Nodes skipped because their lower bound could not beat the best node.
    pub pruned: u64,
    /// Checked nodes that met the criteria.
    pub anonymous: u64,
    /// Checks that rolled up a checked specialisation's classes instead of grouping every
    /// combination.
    pub rolled_up: u64,
    /// Entries (combinations, or a specialisation's classes) read over all checks.
    pub entries_read: u64,
    /// Nodes (counted in `tagged`) whose grouping was abandoned on passing N / k plus the
    /// suppression limit classes, which proves they fail.
    pub capped: u64,
}

/// Why the search found nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchError {
    /// Not even the most general node meets the criteria.
    NoSolution(String),
    /// The lattice or the key space is too large.
    TooLarge(String),
    /// The engine that computes a node's totals ([`Totals`]) failed: the search stops.
    Totals(String),
}

/// The classes of a node: the class of each combination, rows and first combination of each class.
/// What a node's classes add up to: every figure a check and an evaluation need, as counts,
/// whole-number sums and extremes, so that another engine (a cluster grouping the rows) can
/// compute them in any order and the search reaches exactly the decision it reaches over the
/// combinations (docs/design/0016, "A search driven by totals").
///
/// A class *fails* when it has fewer than k rows or fewer than l distinct values of a
/// sensitive attribute (the criteria, with distinct l-diversity); its rows are suppressed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeTotals {
    /// Rows in failing classes.
    pub suppressed: u64,
    /// Classes that do not fail.
    pub kept: u64,
    /// Rows of the smallest kept class (0 if none).
    pub min_kept: u64,
    /// Sum over kept classes of size squared.
    pub sum_sq: u128,
    /// Sum over all classes of size x max(size, min(k, rows)).
    pub floor: u128,
    /// Per quasi-identifier: sum over kept classes of size x loss units of the class's label
    /// ([`Generalisation::loss_units`]).
    pub loss_units: Vec<u128>,
    /// Per quasi-identifier: (label code, rows) of the suppressed rows, by label in ascending
    /// order, each label once.
    pub suppressed_by_label: Vec<Vec<(u32, u64)>>,
    /// Per sensitive attribute: fewest distinct values in a kept class (0 if none).
    pub l_distinct: Vec<u64>,
    /// Per sensitive attribute: smallest exp(entropy of its values) in a kept class (0 if
    /// none), each class's entropy summed over its values' counts from the most frequent.
    pub l_entropy: Vec<f64>,
}

impl NodeTotals {
    /// The first difference between these totals, of `rows` rows, and `other`, of
    /// `other_rows` (`None`: the same), named for a message.
    pub fn difference(&self, rows: u64, other: &NodeTotals, other_rows: u64) -> Option<String> {
        macro_rules! first_difference {
            ($($what:literal: $a:expr, $b:expr;)*) => {$(
                if $a != $b {
                    return Some(format!("{}: {:?} counted, {:?} grouped from the rows", $what, $a, $b));
                }
            )*};
        }
        first_difference! {
            "rows": rows, other_rows;
            "suppressed rows": self.suppressed, other.suppressed;
            "classes": self.kept, other.kept;
            "smallest class": self.min_kept, other.min_kept;
            "sum of squared class sizes": self.sum_sq, other.sum_sq;
            "sum of size x max(k, size)": self.floor, other.floor;
            "loss units per column": self.loss_units, other.loss_units;
            "fewest distinct sensitive values": self.l_distinct, other.l_distinct;
        }
        if self.suppressed_by_label != other.suppressed_by_label {
            let j = (0..self.suppressed_by_label.len().max(other.suppressed_by_label.len()))
                .find(|&j| self.suppressed_by_label.get(j) != other.suppressed_by_label.get(j))
                .unwrap_or(0);
            return Some(format!("the suppressed rows by label of quasi-identifier {} differ", j + 1));
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        if bits(&self.l_entropy) != bits(&other.l_entropy) {
            return Some(format!(
                "smallest exp(entropy): {:?} counted, {:?} grouped from the rows",
                self.l_entropy, other.l_entropy
            ));
        }
        None
    }
}

/// Computes a node's [`NodeTotals`] from the rows, elsewhere than over the combinations in
/// memory (the cluster engine: one job per node). Errors stop the search.
pub trait Totals: Sync + std::fmt::Debug {
    /// The totals of `node` (a level per quasi-identifier).
    fn node_totals(&self, node: &[u8]) -> Result<NodeTotals, String>;
}

struct Grouping {
    class_of: Vec<u32>,
    size: Vec<u64>,
    first: Vec<u32>,
}

/// The entropy (in nats) of a class's sensitive values from their rows (`counts`, one per
/// distinct value, in any order; sorted here, most first), summed from the most frequent
/// value, so that any engine that has a class's counts gets the same bits (the cluster's
/// `--checks-on-cluster`).
pub fn class_entropy(counts: &mut [u64]) -> f64 {
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let total = counts.iter().sum::<u64>() as f64;
    let h: f64 = counts
        .iter()
        .map(|&n| {
            let p = n as f64 / total;
            -p * p.ln()
        })
        .sum();
    h
}

/// Per-attribute tables the search and the metrics use.
#[derive(Debug)]
pub struct Problem<'a> {
    pub(crate) gens: &'a [Generalisation],
    pub(crate) base: &'a Base,
    pub(crate) criteria: Criteria,
    pub(crate) rows: u64,
    /// `freq[j][level][label]`: rows with that label.
    pub(crate) freq: Vec<Vec<Vec<u64>>>,
    /// `gen_loss[j][level]`: sum over rows of the cell loss at that level (no suppression).
    gen_loss: Vec<Vec<f64>>,
    /// `gen_entropy[j][level]`: bits lost over rows at that level (no suppression).
    gen_entropy: Vec<Vec<f64>>,
    /// Per quasi-identifier weight, normalised to a mean of 1 (all 1.0 by default).
    pub(crate) weight: Vec<f64>,
    /// Per quasi-identifier highest level a candidate may use (the hierarchy's top by default).
    pub(crate) cap: Vec<u8>,
    /// Where checks get their totals when the combinations are not in memory
    /// ([`Problem::with_totals`]; `base` is then empty).
    oracle: Option<&'a dyn Totals>,
}

/// The base of a problem whose combinations are not in memory.
static NO_COMBINATIONS: std::sync::LazyLock<Base> = std::sync::LazyLock::new(Base::default);

impl<'a> Problem<'a> {
    /// Prepares the per-attribute tables.
    pub fn new(gens: &'a [Generalisation], base: &'a Base, criteria: Criteria) -> Self {
        let value_rows = |j: usize| {
            let mut value_rows = vec![0u64; gens[j].values().len()];
            let col = base.qi.column(j);
            for r in 0..base.len() {
                let c = col.at(r);
                value_rows[c as usize] += base.count[r];
            }
            value_rows
        };
        Self::build(gens, base, value_rows, criteria, None)
    }

    /// A problem whose combinations are not in memory: the per-column tables come from the
    /// rows of each value (`value_rows[j][code]`, codes as in `gens[j]`), and every check asks
    /// `oracle` for the node's totals. The search then reaches the decision it reaches over
    /// the combinations, figure for figure (docs/design/0016). Only k-anonymity and distinct
    /// l-diversity, whose failing classes totals decide, are supported.
    pub fn with_totals(
        gens: &'a [Generalisation],
        value_rows: &[Vec<u64>],
        criteria: Criteria,
        oracle: &'a dyn Totals,
    ) -> Result<Self, SearchError> {
        if let Some(&(_, d)) = criteria.diversity.iter().find(|&&(_, d)| d != Diversity::Distinct) {
            return Err(SearchError::Totals(format!(
                "{d:?} l-diversity needs each class's values, not totals: only k-anonymity and distinct \
                 l-diversity can be searched from totals"
            )));
        }
        let rows: Vec<u64> = value_rows.iter().map(|v| v.iter().sum()).collect();
        if value_rows.len() != gens.len()
            || value_rows.iter().zip(gens).any(|(v, g)| v.len() != g.values().len())
            || rows.windows(2).any(|w| w[0] != w[1])
        {
            return Err(SearchError::Totals(
                "the rows per value do not match the quasi-identifiers' values".into(),
            ));
        }
        Ok(Self::build(gens, &NO_COMBINATIONS, |j| value_rows[j].clone(), criteria, Some(oracle)))
    }

    fn build(
        gens: &'a [Generalisation],
        base: &'a Base,
        value_rows: impl Fn(usize) -> Vec<u64>,
        criteria: Criteria,
        oracle: Option<&'a dyn Totals>,
    ) -> Self {
        let mut rows = 0u64;
        let mut freq = Vec::new();
        let mut gen_loss = Vec::new();
        let mut gen_entropy = Vec::new();
        for (j, g) in gens.iter().enumerate() {
            let value_rows = value_rows(j);
            if j == 0 {
                rows = value_rows.iter().sum();
            }
            let f: Vec<Vec<u64>> = (0..=g.height())
                .map(|l| {
                    let mut f = vec![0u64; g.labels[l].len()];
                    for (v, &n) in value_rows.iter().enumerate() {
                        f[g.codes[l][v] as usize] += n;
                    }
                    f
                })
                .collect();
            gen_loss.push(
                (0..=g.height())
                    .map(|l| {
                        g.loss_of(
                            value_rows
                                .iter()
                                .enumerate()
                                .map(|(v, &n)| n as u128 * g.loss_units(l, g.codes[l][v]) as u128)
                                .sum(),
                        )
                    })
                    .collect(),
            );
            gen_entropy.push(
                (0..=g.height())
                    .map(|l| {
                        value_rows
                            .iter()
                            .enumerate()
                            .filter(|&(_, &n)| n > 0)
                            .map(|(v, &n)| {
                                let label_rows = f[l][g.codes[l][v] as usize] as f64;
                                n as f64 * (label_rows / n as f64).log2()
                            })
                            .sum()
                    })
                    .collect(),
            );
            freq.push(f);
        }
        let weight = vec![1.0; gens.len()];
        let cap = gens.iter().map(|g| g.height() as u8).collect();
        if gens.is_empty() {
            rows = base.count.iter().sum();
        }
        Problem { gens, base, criteria, rows, freq, gen_loss, gen_entropy, weight, cap, oracle }
    }

    /// At most how many classes a node can have: the combinations, or the rows when the
    /// combinations are not in memory.
    fn most_classes(&self) -> u64 {
        if self.oracle.is_some() { self.rows } else { self.base.len() as u64 }
    }

    /// Sets attribute priorities: per quasi-identifier weight (finite, >= 0, not all 0; `None`
    /// means weight 1) and highest level a release may use (`None` means the hierarchy's top).
    /// Weights are normalised to a mean of 1, so only their ratios matter; caps above the top
    /// are clamped to it (the policy refuses them before this).
    pub fn with_priorities(mut self, weights: &[Option<f64>], max_levels: &[Option<u8>]) -> Self {
        let m = self.gens.len();
        let raw: Vec<f64> = (0..m).map(|j| weights.get(j).copied().flatten().unwrap_or(1.0)).collect();
        let sum: f64 = raw.iter().sum();
        if sum > 0.0 && sum.is_finite() {
            // With every weight 1 this is exactly 1.0 per column (m / m).
            self.weight = raw.iter().map(|&w| w * m as f64 / sum).collect();
        }
        for j in 0..m {
            if let Some(c) = max_levels.get(j).copied().flatten() {
                self.cap[j] = c.min(self.gens[j].height() as u8);
            }
        }
        self
    }

    /// Per quasi-identifier weight in use (normalised to a mean of 1).
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// Per quasi-identifier highest level a candidate may use.
    pub fn max_levels(&self) -> &[u8] {
        &self.cap
    }

    /// Total rows.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// A lower bound of `metric` at `node` that never exceeds its value with suppression.
    pub fn lower_bound(&self, node: &[u8], metric: Metric) -> f64 {
        match metric {
            Metric::Loss => {
                let m = self.gens.len() as f64;
                node.iter()
                    .enumerate()
                    .map(|(j, &l)| self.weight[j] * self.gen_loss[j][l as usize])
                    .sum::<f64>()
                    / (self.rows as f64 * m)
            }
            Metric::Entropy => {
                node.iter().enumerate().map(|(j, &l)| self.weight[j] * self.gen_entropy[j][l as usize]).sum()
            }
            Metric::Discernibility => {
                // Sum of squares of at most C classes is >= N^2 / C; suppression only adds (see docs).
                let mut possible = self.most_classes() as f64;
                let mut product = 1f64;
                for (j, &l) in node.iter().enumerate() {
                    product *= self.gens[j].labels[l as usize].len() as f64;
                }
                possible = possible.min(product).max(2.0);
                (self.rows as f64) * (self.rows as f64) / possible
            }
        }
    }

    /// Groups combinations into the classes of `node`.
    fn group(&self, node: &[u8]) -> Result<Grouping, SearchError> {
        if self.oracle.is_some() {
            return Err(SearchError::Totals("the classes are not in memory (a search from totals)".into()));
        }
        let items = Items { rep: None, count: &self.base.count, sets: None };
        Ok(self.group_items(node, items, None, &mut Scratch::default(), true))
    }

    /// Groups `items` (base combinations, or the entries of a specialisation's classes) into the
    /// classes of `node`: items with the same labels at its levels share a class. Classes are
    /// numbered by first appearance, so the result depends only on the items' order.
    /// `class_of` is filled only if `with_class_of`.
    ///
    /// The key of an item is its labels in mixed radix (columns with one label left out),
    /// computed from one word per item when `packed` holds every combination's value codes. A
    /// key space of at most `DENSE_MIN`, or of at most `DENSE_MAX` and twice the items, is
    /// indexed directly; a larger one that fits 64 bits is hashed; beyond that, columns are
    /// folded in one at a time (class so far x labels, which always fits 64 bits).
    fn group_items(
        &self,
        node: &[u8],
        items: Items<'_>,
        packed: Option<&Packed>,
        sc: &mut Scratch,
        with_class_of: bool,
    ) -> Grouping {
        match self.group_capped(node, items, packed, sc, with_class_of, None) {
            Some(g) => g,
            // Without a cap there is always a grouping.
            None => unreachable!("a grouping without a cap of classes is never abandoned"),
        }
    }

    /// As [`Problem::group_items`], abandoned (`None`) as soon as there are more than `cap`
    /// classes, if a cap is given; then the hash table never grows past the cap's size
    /// (small key spaces, indexed directly, are grouped whatever the cap).
    fn group_capped(
        &self,
        node: &[u8],
        items: Items<'_>,
        packed: Option<&Packed>,
        sc: &mut Scratch,
        with_class_of: bool,
        cap: Option<usize>,
    ) -> Option<Grouping> {
        let n = items.len();
        let mut space = Some(1u64);
        for (j, &l) in node.iter().enumerate() {
            let card = self.gens[j].labels[l as usize].len() as u64;
            if card > 1 {
                space = space.and_then(|s| s.checked_mul(card));
            }
        }
        match space {
            Some(p) if p <= 1 << 32 => {
                self.fill_keys32(node, items, packed, sc);
                let keys = std::mem::take(&mut sc.keys32);
                let g = if p <= DENSE_MAX && p <= DENSE_MIN.max(2 * n as u64) {
                    if sc.dense.len() < p as usize {
                        sc.dense.resize(p as usize, 0);
                    }
                    Some(match items.rep {
                        None => assign_dense(&keys, |e| e as u32, items.count, sc, with_class_of),
                        Some(r) => assign_dense(&keys, |e| r[e], items.count, sc, with_class_of),
                    })
                } else {
                    let k = keys.iter().map(|&k| k as u64);
                    match items.rep {
                        None => assign_hash(k, |e| e as u32, items.count, sc, with_class_of, cap),
                        Some(r) => assign_hash(k, |e| r[e], items.count, sc, with_class_of, cap),
                    }
                };
                sc.keys32 = keys;
                g
            }
            Some(_) => {
                // Keys a chunk at a time: all items' keys at once would take 8 bytes an item.
                let mut buf = std::mem::take(&mut sc.keys);
                buf.clear();
                let mut k = ChunkedKeys { p: self, node, items, buf, start: 0, at: 0 };
                let g = match items.rep {
                    None => assign_hash(&mut k, |e| e as u32, items.count, sc, with_class_of, cap),
                    Some(r) => assign_hash(&mut k, |e| r[e], items.count, sc, with_class_of, cap),
                };
                sc.keys = k.buf;
                g
            }
            None => {
                // Fold columns in one at a time: (class so far, label) -> class. Each fold numbers
                // by first appearance, so the final numbering is by first appearance too.
                let mut class_of = vec![0u32; n];
                for (j, &l) in node.iter().enumerate() {
                    let card = self.gens[j].labels[l as usize].len() as u64;
                    if card <= 1 {
                        continue;
                    }
                    let codes = &self.gens[j].codes[l as usize];
                    let col = self.base.qi.column(j);
                    sc.reset_map(n);
                    for (e, c) in class_of.iter_mut().enumerate() {
                        let key = *c as u64 * card + codes[col.at(items.rep(e)) as usize] as u64;
                        let next = sc.map.len() as u32;
                        *c = *sc.map.entry(key).or_insert(next);
                    }
                    // Folding in more columns only splits classes: past the cap now, past it at the end.
                    if cap.is_some_and(|cap| sc.map.len() > cap) {
                        return None;
                    }
                }
                let mut size: Vec<u64> = Vec::new();
                let mut first: Vec<u32> = Vec::new();
                for (e, &c) in class_of.iter().enumerate() {
                    if c as usize == size.len() {
                        size.push(0);
                        first.push(items.rep(e) as u32);
                    }
                    size[c as usize] += items.count[e];
                }
                Some(Grouping { class_of, size, first })
            }
        }
    }

    /// The mixed-radix key of each item's labels at `node` (columns with one label left out),
    /// for a key space of at most 2^32, into `sc.keys32`.
    fn fill_keys32(&self, node: &[u8], items: Items<'_>, packed: Option<&Packed>, sc: &mut Scratch) {
        let n = items.len();
        let keys = &mut sc.keys32;
        keys.clear();
        keys.resize(n, 0);
        if let Some(packed) = packed {
            // One word per item holds all its value codes: per column, a table of label x
            // radix per value, and the key summed in a register (columns in groups of 8).
            let mut mult = 1u64;
            let mut tables = std::mem::take(&mut sc.tables);
            let mut act: Vec<(u32, u64, usize)> = Vec::new();
            for (j, &l) in node.iter().enumerate() {
                let card = self.gens[j].labels[l as usize].len() as u64;
                if card <= 1 {
                    continue;
                }
                let m32 = mult as u32;
                if tables.len() <= act.len() {
                    tables.push(Vec::new());
                }
                let tab = &mut tables[act.len()];
                tab.clear();
                tab.extend(self.gens[j].codes[l as usize].iter().map(|&c| c * m32));
                act.push((packed.shift[j], packed.mask[j], act.len()));
                mult *= card;
            }
            for chunk in act.chunks(8) {
                let cols: Vec<(u32, u64, &[u32])> =
                    chunk.iter().map(|&(s, m, t)| (s, m, tables[t].as_slice())).collect();
                match items.rep {
                    None => fused_keys(&packed.rows, |e| e, &cols, keys),
                    Some(rep) => fused_keys(&packed.rows, |e| rep[e] as usize, &cols, keys),
                }
            }
            sc.tables = tables;
            return;
        }
        let mut mult = 1u64;
        for (j, &l) in node.iter().enumerate() {
            let card = self.gens[j].labels[l as usize].len() as u64;
            if card <= 1 {
                continue;
            }
            let codes = &self.gens[j].codes[l as usize];
            let col = self.base.qi.column(j);
            // label x radix per value: below 2^32, as every key is.
            let m32 = mult as u32;
            if codes.len() <= n {
                let tab = &mut sc.table;
                tab.clear();
                tab.extend(codes.iter().map(|&c| c * m32));
                match items.rep {
                    None => keys.iter_mut().enumerate().for_each(|(e, k)| *k += tab[col.at(e) as usize]),
                    Some(rep) => {
                        keys.iter_mut().zip(rep).for_each(|(k, &r)| *k += tab[col.at(r as usize) as usize])
                    }
                }
            } else {
                match items.rep {
                    None => {
                        keys.iter_mut().enumerate().for_each(|(e, k)| *k += codes[col.at(e) as usize] * m32)
                    }
                    Some(rep) => keys
                        .iter_mut()
                        .zip(rep)
                        .for_each(|(k, &r)| *k += codes[col.at(r as usize) as usize] * m32),
                }
            }
            mult *= card;
        }
    }

    /// The mixed-radix keys of items `range` (as `fill_keys32`, for key spaces up to 2^64).
    fn fill_keys64(&self, node: &[u8], items: Items<'_>, range: std::ops::Range<usize>, keys: &mut Vec<u64>) {
        keys.clear();
        keys.resize(range.len(), 0);
        let mut mult = 1u64;
        for (j, &l) in node.iter().enumerate() {
            let card = self.gens[j].labels[l as usize].len() as u64;
            if card <= 1 {
                continue;
            }
            let codes = &self.gens[j].codes[l as usize];
            let col = self.base.qi.column(j);
            match items.rep {
                None => keys
                    .iter_mut()
                    .zip(range.clone())
                    .for_each(|(k, e)| *k += codes[col.at(e) as usize] as u64 * mult),
                Some(rep) => keys
                    .iter_mut()
                    .zip(&rep[range.clone()])
                    .for_each(|(k, &r)| *k += codes[col.at(r as usize) as usize] as u64 * mult),
            }
            mult = mult.wrapping_mul(card);
        }
    }

    /// Which classes fail the criteria, with per-class achieved l (distinct, entropy).
    fn failing(&self, class_of: &[u32], size: &[u64]) -> (Vec<bool>, Vec<Vec<u64>>, Vec<Vec<f64>>) {
        let classes = size.len();
        let mut fail: Vec<bool> = size.iter().map(|&s| s < self.criteria.k).collect();
        let mut distinct_all = Vec::new();
        let mut entropy_all = Vec::new();
        // The base combinations of each class, by a counting sort on the class: no map of
        // (class, value) pairs, which at 100M combinations took a gigabyte.
        let mut start = vec![0usize; classes + 1];
        let mut order: Vec<u32> = Vec::new();
        if !self.criteria.diversity.is_empty() {
            for &c in class_of {
                start[c as usize + 1] += 1;
            }
            for c in 0..classes {
                start[c + 1] += start[c];
            }
            let mut next = start.clone();
            order = vec![0u32; class_of.len()];
            for (r, &c) in class_of.iter().enumerate() {
                order[next[c as usize]] = r as u32;
                next[c as usize] += 1;
            }
        }
        let mut values: Vec<(u32, u64)> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        for (s, &(l, diversity)) in self.criteria.diversity.iter().enumerate() {
            let mut distinct = vec![0u64; classes];
            let mut entropy = vec![0f64; classes];
            for c in 0..classes {
                // Rows per sensitive value in class c, most first.
                values.clear();
                values.extend(
                    order[start[c]..start[c + 1]]
                        .iter()
                        .map(|&r| (self.base.sensitive[s][r as usize], self.base.count[r as usize])),
                );
                values.sort_unstable_by_key(|v| v.0);
                counts.clear();
                let mut i = 0;
                while i < values.len() {
                    let (v, mut n) = values[i];
                    i += 1;
                    while i < values.len() && values[i].0 == v {
                        n += values[i].1;
                        i += 1;
                    }
                    counts.push(n);
                }
                let h = class_entropy(&mut counts);
                distinct[c] = counts.len() as u64;
                entropy[c] = h.exp();
                let ok = match diversity {
                    Diversity::Distinct => counts.len() as u64 >= l,
                    Diversity::Entropy => h >= (l as f64).ln() - 1e-12,
                    Diversity::Recursive { c: cc } => {
                        let tail: u64 = counts.iter().skip(l.saturating_sub(1) as usize).sum();
                        counts.len() as u64 >= l && (counts[0] as f64) < cc * tail as f64
                    }
                };
                if !ok {
                    fail[c] = true;
                }
            }
            distinct_all.push(distinct);
            entropy_all.push(entropy);
        }
        (fail, distinct_all, entropy_all)
    }

    /// A node's discernibility, loss and entropy from its parts: the sum of squared kept class
    /// sizes, the suppressed rows, per column the kept cells' loss units and the suppressed
    /// rows by label (empty: none counted). The one place these formulas live, for full
    /// evaluations, the search's checks and totals from elsewhere alike; every float is formed
    /// from counts in a fixed order, so the order of the classes does not matter.
    fn totals(
        &self,
        node: &[u8],
        sum_sq: u128,
        suppressed: u64,
        loss_units: &[u128],
        by_label: &[Vec<(u32, u64)>],
    ) -> (u128, f64, f64) {
        let (n, m) = (self.rows, self.gens.len());
        let kept_loss: f64 =
            (0..loss_units.len().min(m)).map(|j| self.weight[j] * self.gens[j].loss_of(loss_units[j])).sum();
        let suppressed_bits: f64 = (0..by_label.len().min(m))
            .map(|j| self.weight[j] * self.suppressed_bits(j, node[j], &by_label[j]))
            .sum();
        let gen_entropy: f64 =
            node.iter().enumerate().map(|(j, &l)| self.weight[j] * self.gen_entropy[j][l as usize]).sum();
        // Each suppressed row loses every column entirely: sum of weights (m when all are 1).
        let weight_sum: f64 = self.weight.iter().sum();
        let loss =
            if n == 0 { 0.0 } else { (kept_loss + suppressed as f64 * weight_sum) / (n as f64 * m as f64) };
        (sum_sq + suppressed as u128 * n as u128, loss, gen_entropy + suppressed_bits)
    }

    /// Bits lost by suppressing, in column `j` at `level`, the rows `pairs` gives per label
    /// (ascending labels, each once): rows x log2(N / label rows), summed in that order.
    fn suppressed_bits(&self, j: usize, level: u8, pairs: &[(u32, u64)]) -> f64 {
        let n = self.rows as f64;
        let freq = &self.freq[j][level as usize];
        pairs.iter().map(|&(lab, rows)| rows as f64 * (n / freq[lab as usize] as f64).log2()).sum()
    }

    /// Per column, the suppressed classes' rows by label: `classes` gives a base combination
    /// standing for each class's labels, and its rows.
    fn by_label(&self, node: &[u8], classes: &[(u32, u64)]) -> Vec<Vec<(u32, u64)>> {
        (0..self.gens.len())
            .map(|j| {
                let codes = &self.gens[j].codes[node[j] as usize];
                let mut pairs: Vec<(u32, u64)> = classes
                    .iter()
                    .map(|&(r, s)| (codes[self.base.qi.get(j, r as usize) as usize], s))
                    .collect();
                merge_labels(&mut pairs);
                pairs
            })
            .collect()
    }

    /// The totals of `node`: from the combinations in memory, or else from the problem's
    /// [`Totals`].
    pub fn node_totals(&self, node: &[u8]) -> Result<NodeTotals, SearchError> {
        match self.oracle {
            Some(o) => {
                let mut t = o.node_totals(node).map_err(SearchError::Totals)?;
                self.check_totals(node, &mut t)?;
                Ok(t)
            }
            None => Ok(self.totals_and_classes(node)?.0),
        }
    }

    /// Refuses totals from elsewhere that cannot be those of this problem (wrong lengths, more
    /// rows or classes than there are, a kept class that misses k or l, a label beyond the
    /// level's, suppressed rows of a label that are none, more than it has, or do not add up),
    /// and puts the suppressed rows by label in ascending order, each label once.
    fn check_totals(&self, node: &[u8], t: &mut NodeTotals) -> Result<(), SearchError> {
        let m = self.gens.len();
        let bad = |what: &str| {
            Err(SearchError::Totals(format!("the totals of node {node:?} are not valid: {what}")))
        };
        if t.loss_units.len() != m || t.suppressed_by_label.len() != m {
            return bad("not one entry per quasi-identifier");
        }
        let l = self.criteria.diversity.len();
        if t.l_distinct.len() != l || t.l_entropy.len() != l {
            return bad("not one entry per sensitive attribute");
        }
        if t.suppressed > self.rows
            || t.kept > self.rows - t.suppressed
            || t.kept as u128 * t.min_kept as u128 > (self.rows - t.suppressed) as u128
        {
            return bad("more rows or classes than the input has");
        }
        // A kept class meets the criteria: k rows and l distinct values at least.
        let k = self.criteria.k;
        if t.kept > 0
            && (t.min_kept < k
                || t.sum_sq < t.kept as u128 * t.min_kept as u128 * t.min_kept as u128
                || self.criteria.diversity.iter().zip(&t.l_distinct).any(|(&(l, _), &d)| d < l))
        {
            return bad("a kept class that does not meet the criteria");
        }
        for (j, pairs) in t.suppressed_by_label.iter_mut().enumerate() {
            let freq = &self.freq[j][node[j] as usize];
            if pairs.iter().any(|&(lab, _)| lab as usize >= freq.len()) {
                return bad("a label code beyond the level's labels");
            }
            merge_labels(pairs);
            if pairs.iter().any(|&(lab, rows)| rows == 0 || rows > freq[lab as usize]) {
                return bad("more suppressed rows of a label than it has, or none");
            }
            if pairs.iter().map(|&(_, r)| r as u128).sum::<u128>() != t.suppressed as u128 {
                return bad("the suppressed rows by label do not add up to the suppressed rows");
            }
        }
        Ok(())
    }

    /// The evaluation of `node` from its totals.
    pub fn evaluation_of(&self, node: &[u8], t: &NodeTotals) -> Evaluation {
        let (discernibility, loss, entropy) =
            self.totals(node, t.sum_sq, t.suppressed, &t.loss_units, &t.suppressed_by_label);
        Evaluation {
            node: node.to_vec(),
            anonymous: t.suppressed <= self.criteria.max_suppressed && (t.kept > 0 || self.rows == 0),
            suppressed: t.suppressed,
            classes: t.kept,
            min_class: t.min_kept,
            discernibility,
            loss,
            entropy,
            l_distinct: t.l_distinct.clone(),
            l_entropy: t.l_entropy.clone(),
        }
    }

    /// Checks one node: classes, suppression, privacy and every metric.
    pub fn evaluate(&self, node: &[u8]) -> Result<Evaluation, SearchError> {
        Ok(self.evaluation_of(node, &self.node_totals(node)?))
    }

    /// As [`Problem::evaluate`], also returning the classes (only with the combinations in
    /// memory).
    pub fn evaluate_full(&self, node: &[u8]) -> Result<(Evaluation, Classes), SearchError> {
        let (t, classes) = self.totals_and_classes(node)?;
        Ok((self.evaluation_of(node, &t), classes))
    }

    /// A node's totals and classes, grouped from the combinations in memory.
    fn totals_and_classes(&self, node: &[u8]) -> Result<(NodeTotals, Classes), SearchError> {
        if self.oracle.is_some() {
            return Err(SearchError::Totals("the classes are not in memory (a search from totals)".into()));
        }
        let Grouping { class_of, size, first } = self.group(node)?;
        let (fail, distinct, entropy_l) = self.failing(&class_of, &size);
        let m = self.gens.len();
        let kappa = self.criteria.k.min(self.rows) as u128;
        let mut t = NodeTotals { loss_units: vec![0; m], ..NodeTotals::default() };
        let mut suppressed_classes: Vec<(u32, u64)> = Vec::new();
        let mut classes = Classes { kept_label_rows: vec![FxHashMap::default(); m], ..Classes::default() };
        for c in 0..size.len() {
            let s = size[c];
            let r = first[c] as usize;
            t.floor += s as u128 * kappa.max(s as u128);
            let labels: Vec<u32> = (0..m)
                .map(|j| self.gens[j].codes[node[j] as usize][self.base.qi.get(j, r) as usize])
                .collect();
            if fail[c] {
                t.suppressed += s;
                suppressed_classes.push((r as u32, s));
                classes.suppressed_labels.push(labels);
                classes.suppressed_sizes.push(s);
            } else {
                t.kept += 1;
                t.min_kept = if t.min_kept == 0 { s } else { t.min_kept.min(s) };
                t.sum_sq += s as u128 * s as u128;
                for (j, &lab) in labels.iter().enumerate() {
                    t.loss_units[j] += s as u128 * self.gens[j].loss_units(node[j] as usize, lab) as u128;
                    *classes.kept_label_rows[j].entry(lab).or_insert(0) += s;
                }
                classes.kept_sizes.push(s);
            }
        }
        t.suppressed_by_label = self.by_label(node, &suppressed_classes);
        t.l_distinct = distinct
            .iter()
            .map(|d| (0..size.len()).filter(|&c| !fail[c]).map(|c| d[c]).min().unwrap_or(0))
            .collect();
        t.l_entropy = entropy_l
            .iter()
            .map(|e| (0..size.len()).filter(|&c| !fail[c]).map(|c| e[c]).fold(f64::INFINITY, f64::min))
            .map(|v| if v.is_finite() { v } else { 0.0 })
            .collect();
        Ok((t, classes))
    }

    /// Per quasi-identifier (loss share 0..1, entropy bits) of a chosen node and its classes.
    /// Exact in any order of the classes, as a node's totals are ([`NodeTotals`]).
    pub fn attribute_metrics(&self, node: &[u8], classes: &Classes) -> Vec<(f64, f64)> {
        let supp: u64 = classes.suppressed_sizes.iter().sum();
        (0..self.gens.len())
            .map(|j| {
                let l = node[j] as usize;
                let units: u128 = classes.kept_label_rows[j]
                    .iter()
                    .map(|(&lab, &rows)| rows as u128 * self.gens[j].loss_units(l, lab) as u128)
                    .sum();
                let mut pairs: Vec<(u32, u64)> = classes
                    .suppressed_labels
                    .iter()
                    .zip(&classes.suppressed_sizes)
                    .map(|(labels, &s)| (labels[j], s))
                    .collect();
                merge_labels(&mut pairs);
                self.column_metrics(j, node[j], units, supp, &pairs)
            })
            .collect()
    }

    /// [`Problem::attribute_metrics`] from the node's totals (a search from totals, whose
    /// classes are not in memory): the same figures, bit for bit, as the loss units of the kept
    /// classes and the suppressed rows by label are what that sums.
    pub fn attribute_metrics_of_totals(&self, node: &[u8], t: &NodeTotals) -> Vec<(f64, f64)> {
        (0..self.gens.len())
            .map(|j| {
                self.column_metrics(j, node[j], t.loss_units[j], t.suppressed, &t.suppressed_by_label[j])
            })
            .collect()
    }

    /// (loss share, entropy bits) of column `j` at `level`: `units` the kept classes' loss
    /// units, `supp` the suppressed rows and `pairs` them by label (ascending, merged).
    fn column_metrics(
        &self,
        j: usize,
        level: u8,
        units: u128,
        supp: u64,
        pairs: &[(u32, u64)],
    ) -> (f64, f64) {
        let n = self.rows as f64;
        let kept = self.gens[j].loss_of(units);
        let bits = self.suppressed_bits(j, level, pairs);
        let loss = if n > 0.0 { (kept + supp as f64) / n } else { 0.0 };
        (loss, self.gen_entropy[j][level as usize] + bits)
    }

    /// Per quasi-identifier, the rows kept with each label of `node`'s level (a label's rows
    /// less its suppressed rows in `t`).
    pub fn kept_label_rows_of_totals(&self, node: &[u8], t: &NodeTotals) -> Vec<Vec<u64>> {
        (0..self.gens.len())
            .map(|j| {
                let mut rows = self.freq[j][node[j] as usize].clone();
                for &(lab, s) in &t.suppressed_by_label[j] {
                    if let Some(r) = rows.get_mut(lab as usize) {
                        *r = r.saturating_sub(s);
                    }
                }
                rows
            })
            .collect()
    }

    /// Bits lost if every row were suppressed (to normalise the entropy metric), weighted.
    pub fn max_entropy(&self) -> f64 {
        self.gens
            .iter()
            .enumerate()
            .map(|(j, g)| self.weight[j] * self.gen_entropy[j][g.height()])
            .sum::<f64>()
            + self
                .freq
                .iter()
                .enumerate()
                .map(|(j, f)| {
                    let top = f.len() - 1;
                    self.weight[j]
                        * f[top]
                            .iter()
                            .filter(|&&x| x > 0)
                            .map(|&x| x as f64 * (self.rows as f64 / x as f64).log2())
                            .sum::<f64>()
                })
                .sum::<f64>()
    }

    /// Sizes of all classes at `node`, nothing suppressed (for risk before anonymisation).
    pub fn class_sizes(&self, node: &[u8]) -> Result<Vec<u64>, SearchError> {
        Ok(self.group(node)?.size)
    }

    /// Finds the optimal node for `metric` among the nodes within the max levels.
    ///
    /// Two phases (module documentation, docs/design/0007): a Flash-style search along paths
    /// classifies every node by the monotone part of the criteria, then the nodes that have it
    /// are evaluated bottom-up, each rolled up from the classes of a checked specialisation,
    /// unless a lower bound of their cost cannot beat the best node found.
    pub fn search(&self, metric: Metric) -> Result<(Evaluation, SearchStats), SearchError> {
        let lattice = Lattice::new(&self.cap)?;
        let mut engine = Engine::new(self, metric, lattice);
        engine.classify_nodes();
        engine.evaluate_passing();
        let stats = engine.stats.clone();
        let best = engine.best.take();
        if let Some(e) = engine.ctx.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            return Err(e);
        }
        // The engine's scratch, snapshots and packed codes (when built from code columns) go
        // before the final evaluation groups every combination again (at 100M rows they are
        // gigabytes).
        drop(engine);
        match best {
            // The returned evaluation is computed afresh from the combinations, as `evaluate`
            // does, so every field (l achieved, classes, ...) is the usual one.
            Some(b) => Ok((self.evaluate(&b.node)?, stats)),
            None => Err(SearchError::NoSolution(self.explain_no_solution()?)),
        }
    }

    /// Why no node within the caps meets the criteria, and which cap to relax if that helps.
    fn explain_no_solution(&self) -> Result<String, SearchError> {
        let top: Vec<u8> = self.gens.iter().map(|g| g.height() as u8).collect();
        let capped: Vec<usize> = (0..top.len()).filter(|&j| self.cap[j] < top[j]).collect();
        let e = self.evaluate(&top)?;
        if capped.is_empty() || !e.anonymous {
            return Ok(format!(
                "even generalising every quasi-identifier to its top level leaves {} of {} rows in \
                 classes that fail the criteria (the limit allows {})",
                e.suppressed, self.rows, self.criteria.max_suppressed
            ));
        }
        let within = self.evaluate(&self.cap)?;
        let limits: Vec<String> =
            capped.iter().map(|&j| format!("{} at level <= {}", self.gens[j].column, self.cap[j])).collect();
        let mut msg = format!(
            "no release meets k = {}{} with {}: even there {} of {} rows are in classes that fail \
             (the suppression limit allows {})",
            self.criteria.k,
            if self.criteria.diversity.is_empty() { "" } else { " and l-diversity" },
            limits.join(", "),
            within.suppressed,
            self.rows,
            self.criteria.max_suppressed
        );
        // Relaxing one cap alone: the lowest level of that column (others at their caps) that
        // passes; by monotonicity no lower level of it can pass with the other caps kept.
        let mut single = Vec::new();
        for &j in &capped {
            let mut node = self.cap.clone();
            for l in self.cap[j] + 1..=top[j] {
                node[j] = l;
                if self.evaluate(&node)?.anonymous {
                    single.push(format!("max_level = {l} (or more) for {}", self.gens[j].column));
                    break;
                }
            }
        }
        if single.is_empty() {
            let names: Vec<&str> = capped.iter().map(|&j| self.gens[j].column.as_str()).collect();
            msg.push_str(&format!(
                "; relax max_level for {} together (no single one suffices; without limits a release exists)",
                names.join(", ")
            ));
        } else {
            msg.push_str(&format!("; relax a limit: {}", single.join(", or ")));
        }
        Ok(msg)
    }
}

/// Sorts (label or value, rows) pairs by their first part and merges those of one.
fn merge_labels(pairs: &mut Vec<(u32, u64)>) {
    pairs.sort_unstable_by_key(|&(lab, _)| lab);
    pairs.dedup_by(|b, a| {
        let same = a.0 == b.0;
        if same {
            a.1 += b.1;
        }
        same
    });
}

/// Whether `a` beats `b`: lower cost, then lower weighted total level, then lower total level,
/// then lexicographically smaller.
fn better(a: &Evaluation, b: &Evaluation, metric: Metric, weight: &[f64]) -> bool {
    let (ca, cb) = (a.cost(metric), b.cost(metric));
    let tol = ca.abs().max(cb.abs()) * 1e-12;
    if metric == Metric::Discernibility {
        if a.discernibility != b.discernibility {
            return a.discernibility < b.discernibility;
        }
    } else if (ca - cb).abs() > tol {
        return ca < cb;
    }
    let wa: f64 = a.node.iter().zip(weight).map(|(&l, &w)| w * l as f64).sum();
    let wb: f64 = b.node.iter().zip(weight).map(|(&l, &w)| w * l as f64).sum();
    if (wa - wb).abs() > wa.abs().max(wb.abs()) * 1e-12 {
        return wa < wb;
    }
    let ha: u32 = a.node.iter().map(|&l| l as u32).sum();
    let hb: u32 = b.node.iter().map(|&l| l as u32).sum();
    if ha != hb {
        return ha < hb;
    }
    a.node < b.node
}

// ---------------------------------------------------------------------------------------------
// Grouping: items (combinations or a snapshot's entries) into the classes of a node.
// ---------------------------------------------------------------------------------------------

/// Key spaces up to this size are indexed directly when grouping (a `u32` per key: 256 KiB).
const DENSE_MAX: u64 = 1 << 16;
/// Below this size a key space is always indexed directly, however few the items.
const DENSE_MIN: u64 = 1 << 12;

/// What to group: the base combinations (`rep` is `None`), or the entries of a snapshot, each
/// standing for the base combination `rep[e]` (whose labels it shares at the snapshot's levels).
#[derive(Clone, Copy)]
struct Items<'s> {
    rep: Option<&'s [u32]>,
    count: &'s [u64],
    /// Distinct-value sets of a snapshot's entries (see `Ctx::sets`); `None` for the base.
    sets: Option<&'s [u32]>,
}

impl Items<'_> {
    fn len(&self) -> usize {
        self.count.len()
    }

    fn rep(&self, e: usize) -> usize {
        match self.rep {
            Some(r) => r[e] as usize,
            None => e,
        }
    }
}

/// Items' 64-bit keys, computed `KEY_CHUNK` items at a time into a reused buffer.
struct ChunkedKeys<'p, 'a, 'i> {
    p: &'p Problem<'a>,
    node: &'p [u8],
    items: Items<'i>,
    buf: Vec<u64>,
    /// First item of the next chunk.
    start: usize,
    /// Next key in `buf`.
    at: usize,
}

/// Items per chunk of [`ChunkedKeys`] (8 MiB of keys).
const KEY_CHUNK: usize = if cfg!(test) { 7 } else { 1 << 20 };

impl Iterator for ChunkedKeys<'_, '_, '_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if self.at == self.buf.len() {
            if self.start >= self.items.len() {
                return None;
            }
            let end = (self.start + KEY_CHUNK).min(self.items.len());
            self.p.fill_keys64(self.node, self.items, self.start..end, &mut self.buf);
            self.start = end;
            self.at = 0;
        }
        let k = self.buf[self.at];
        self.at += 1;
        Some(k)
    }
}

/// Reusable grouping buffers (one per thread).
#[derive(Default)]
struct Scratch {
    keys: Vec<u64>,
    keys32: Vec<u32>,
    /// Label x radix per value of one column.
    table: Vec<u32>,
    /// The same, per column of a node (packed keys).
    tables: Vec<Vec<u32>>,
    /// Class of each item, kept for reuse when the caller does not want it.
    class_buf: Vec<u32>,
    slots: Slots,
    /// Directly indexed key space: class + 1, or 0 (kept all 0 between uses).
    dense: Vec<u32>,
    touched: Vec<u32>,
    map: FxHashMap<u64, u32>,
}

impl Scratch {
    /// Empties the hash map, dropping it if it grew far beyond `n` items (clearing a large map
    /// costs as much as its capacity).
    fn reset_map(&mut self, n: usize) {
        if self.map.capacity() > 4 * n + 1024 {
            self.map = FxHashMap::default();
        } else {
            self.map.clear();
        }
    }
}

/// Every base combination's value codes packed in one word (when they fit in 64 bits), so a
/// key is computed from one load per item.
struct Packed<'b> {
    rows: std::borrow::Cow<'b, [u64]>,
    shift: Vec<u32>,
    mask: Vec<u64>,
}

impl<'b> Packed<'b> {
    /// The base's own words when it comes packed (no copy), else words built from its columns.
    fn new(p: &'b Problem<'_>) -> Option<Packed<'b>> {
        if let Some((words, fields)) = p.base.qi.packed() {
            let (shift, mask) = fields.into_iter().unzip();
            return Some(Packed { rows: std::borrow::Cow::Borrowed(words), shift, mask });
        }
        let mut shift = Vec::with_capacity(p.gens.len());
        let mut mask = Vec::with_capacity(p.gens.len());
        let mut at = 0u32;
        for g in p.gens {
            let bits = u64::BITS - (g.values().len().saturating_sub(1) as u64).leading_zeros();
            // A column with one value has no bits: its code is always 0.
            shift.push(if bits == 0 { 0 } else { at });
            mask.push(if bits == 0 { 0 } else { u64::MAX >> (64 - bits) });
            at += bits;
        }
        if at > 64 {
            return None;
        }
        let columns: Vec<_> = (0..p.gens.len()).map(|j| p.base.qi.column(j)).collect();
        let rows = (0..p.base.len())
            .map(|r| columns.iter().zip(&shift).fold(0u64, |w, (col, &s)| w | (col.at(r) as u64) << s))
            .collect();
        Some(Packed { rows: std::borrow::Cow::Owned(rows), shift, mask })
    }
}

/// Adds to `keys[e]` the table entries of item `e`'s values for up to 8 columns (shift, mask,
/// table), unrolled by their number.
fn fused_keys(
    rows: &[u64],
    rep: impl Fn(usize) -> usize + Copy,
    cols: &[(u32, u64, &[u32])],
    keys: &mut [u32],
) {
    fn run<const N: usize>(
        rows: &[u64],
        rep: impl Fn(usize) -> usize,
        cols: &[(u32, u64, &[u32])],
        keys: &mut [u32],
    ) {
        let Ok(cols) = <[(u32, u64, &[u32]); N]>::try_from(cols) else { return };
        for (e, k) in keys.iter_mut().enumerate() {
            let w = rows[rep(e)];
            let mut key = 0u32;
            for &(s, m, t) in &cols {
                key += t[((w >> s) & m) as usize];
            }
            *k += key;
        }
    }
    match cols.len() {
        1 => run::<1>(rows, rep, cols, keys),
        2 => run::<2>(rows, rep, cols, keys),
        3 => run::<3>(rows, rep, cols, keys),
        4 => run::<4>(rows, rep, cols, keys),
        5 => run::<5>(rows, rep, cols, keys),
        6 => run::<6>(rows, rep, cols, keys),
        7 => run::<7>(rows, rep, cols, keys),
        8 => run::<8>(rows, rep, cols, keys),
        _ => {}
    }
}

/// Classes of items by key, the key space indexed directly (`sc.dense`, all 0 on entry and
/// on return): class numbers first (the only branch: a new class), then rows per class.
fn assign_dense(
    keys: &[u32],
    rep: impl Fn(usize) -> u32,
    count: &[u64],
    sc: &mut Scratch,
    with_class_of: bool,
) -> Grouping {
    let mut first: Vec<u32> = Vec::new();
    let mut class_of = std::mem::take(&mut sc.class_buf);
    class_of.clear();
    class_of.reserve(keys.len());
    for (e, &key) in keys.iter().enumerate() {
        let slot = &mut sc.dense[key as usize];
        if *slot == 0 {
            first.push(rep(e));
            *slot = first.len() as u32;
            sc.touched.push(key);
        }
        class_of.push(*slot - 1);
    }
    let mut size = vec![0u64; first.len()];
    for (&c, &n) in class_of.iter().zip(count) {
        size[c as usize] += n;
    }
    for &key in &sc.touched {
        sc.dense[key as usize] = 0;
    }
    sc.touched.clear();
    if with_class_of {
        Grouping { class_of, size, first }
    } else {
        sc.class_buf = class_of;
        Grouping { class_of: Vec::new(), size, first }
    }
}

/// As `assign_dense`, through the open-addressing table `sc.slots`.
fn assign_hash(
    keys: impl Iterator<Item = u64>,
    rep: impl Fn(usize) -> u32,
    count: &[u64],
    sc: &mut Scratch,
    with_class_of: bool,
    cap: Option<usize>,
) -> Option<Grouping> {
    let n = count.len();
    let mut first: Vec<u32> = Vec::new();
    let mut class_of = std::mem::take(&mut sc.class_buf);
    class_of.clear();
    class_of.reserve(n);
    let mut table = std::mem::take(&mut sc.slots);
    // At most cap + 1 keys are ever inserted: the table stays at most half full.
    table.start(cap.map_or(n, |c| n.min(c.saturating_add(1))));
    for (e, key) in keys.enumerate() {
        let (c, new) = table.find_or_insert(key, first.len() as u32);
        if new {
            first.push(rep(e));
            if cap.is_some_and(|cap| first.len() > cap) {
                sc.slots = table;
                sc.class_buf = class_of;
                return None;
            }
        }
        class_of.push(c);
    }
    sc.slots = table;
    let mut size = vec![0u64; first.len()];
    for (&c, &n) in class_of.iter().zip(count) {
        size[c as usize] += n;
    }
    if with_class_of {
        Some(Grouping { class_of, size, first })
    } else {
        sc.class_buf = class_of;
        Some(Grouping { class_of: Vec::new(), size, first })
    }
}

/// An open-addressing hash table from keys to class numbers for one grouping at a time: slots
/// of (key, generation, class), linear probing, at most half full. A slot belongs to the current
/// grouping only if it carries its generation, so starting a new one clears nothing. It starts
/// at a size for at most `SLOTS_START` keys and doubles when half full, so its memory follows
/// the classes found, not the items grouped.
#[derive(Default)]
struct Slots {
    slots: Vec<(u64, u32, u32)>,
    generation: u32,
    shift: u32,
    /// Keys in the current grouping.
    used: usize,
}

/// Keys a table is first sized for (it grows beyond as needed; tiny in unit tests, so that
/// they exercise growth).
const SLOTS_START: usize = if cfg!(test) { 4 } else { 1 << 20 };

impl Slots {
    /// Prepares for a grouping of at most `n` distinct keys.
    fn start(&mut self, n: usize) {
        let want = (2 * n.min(SLOTS_START)).max(16).next_power_of_two();
        if self.slots.len() < want || self.slots.len() > 8 * want.max(1 << 12) || self.generation == u32::MAX
        {
            self.slots = vec![(0, 0, 0); want];
            self.generation = 0;
        }
        self.generation += 1;
        self.used = 0;
        self.shift = 64 - self.slots.len().trailing_zeros();
    }

    fn slot_of(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The class of `key`, inserting it as `next` if new (then also true).
    fn find_or_insert(&mut self, key: u64, next: u32) -> (u32, bool) {
        let mask = self.slots.len() - 1;
        let mut i = self.slot_of(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.1 != self.generation {
                *slot = (key, self.generation, next);
                self.used += 1;
                if 2 * self.used > self.slots.len() {
                    self.grow();
                }
                return (next, true);
            }
            if slot.0 == key {
                return (slot.2, false);
            }
            i = (i + 1) & mask;
        }
    }

    /// Doubles the table, keeping the current grouping's keys.
    fn grow(&mut self) {
        let len = 2 * self.slots.len().max(8);
        let old = std::mem::replace(&mut self.slots, vec![(0, 0, 0); len]);
        self.shift = 64 - self.slots.len().trailing_zeros();
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.1 == self.generation) {
            let mut i = self.slot_of(slot.0);
            while self.slots[i].1 == self.generation {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The search engine (see the module documentation).
// ---------------------------------------------------------------------------------------------

/// A layer of the bottom-up phase is split between threads only if its checks read at least
/// this many entries in all (below that, starting threads costs more than it saves).
const PARALLEL_MIN: usize = 1 << 18;
/// A phase-1 check whose best source has more than 1/STONE_DIVISOR of the base's entries first
/// checks its stepping stones (`Engine::stones`).
const STONE_DIVISOR: usize = 4;
/// Snapshots kept at once, in entries: 4 x the combinations, and at least this (tiny in unit
/// tests, so that they exercise eviction and the fallback to all combinations).
const BUDGET_MIN: usize = if cfg!(test) { 64 } else { 1 << 20 };
/// ... and at most this (16 bytes an entry: 256 MiB), so that memory does not grow with the
/// combinations beyond the base itself; fewer snapshots only mean more checks read the base.
const BUDGET_MAX: usize = 1 << 24;
/// Entries the checks running at once may read in all: a layer's checks are split between
/// at most this / (largest check) threads, since each thread's scratch grows with the entries
/// its checks read (about 16 bytes each). One thread always runs.
const PARALLEL_ENTRIES: usize = 1 << 25;
/// Distinct l-diversity keeps per class up to l values per sensitive attribute when the l add
/// up to at most this (else full histograms, as for the other variants).
const SET_SLOTS_MAX: u64 = 32;

/// The classes of a checked node, kept to roll its generalisations up from: one entry per class
/// (per class and tuple of sensitive values under l-diversity), with a base combination that
/// has its labels and the rows it holds. Any generalisation's classes are unions of these
/// entries, because every hierarchy level is a function of the level below.
struct Snap {
    levels: Vec<u8>,
    height: usize,
    rep: Vec<u32>,
    count: Vec<u64>,
    sets: Vec<u32>,
}

impl Snap {
    fn items(&self) -> Items<'_> {
        let sets = if self.sets.is_empty() { None } else { Some(self.sets.as_slice()) };
        Items { rep: Some(&self.rep), count: &self.count, sets }
    }
}

/// The outcome of checking a node in the search (the metric asked for only).
#[derive(Debug, Clone, Copy)]
struct Check {
    /// Meets the monotone part of the criteria (see `Engine`).
    mono: bool,
    /// Meets the criteria within the suppression limit (as `Evaluation::anonymous`).
    anonymous: bool,
    suppressed: u64,
    classes: u64,
    discernibility: u128,
    loss: f64,
    entropy: f64,
    /// Rows in classes that fail the monotone part.
    mono_suppressed: u64,
    /// Sum over all classes of size x max(k, size) (k at most the rows): a lower bound of the
    /// discernibility of this node and of every generalisation (see `Engine`).
    floor: u128,
}

/// The restricted lattice: node `i` has level `(i / stride[j]) % (cap[j] + 1)` for column `j`.
struct Lattice {
    cap: Vec<u8>,
    stride: Vec<u64>,
    size: u64,
}

impl Lattice {
    fn new(cap: &[u8]) -> Result<Self, SearchError> {
        let mut stride = Vec::with_capacity(cap.len());
        let mut size: u64 = 1;
        for &c in cap {
            stride.push(size);
            size = size.checked_mul(c as u64 + 1).filter(|&s| s <= 50_000_000).ok_or_else(|| {
                SearchError::TooLarge(format!(
                    "the lattice has more than 50,000,000 nodes (heights {cap:?}); use fewer \\
                     quasi-identifiers or shallower hierarchies"
                ))
            })?;
        }
        Ok(Lattice { cap: cap.to_vec(), stride, size })
    }

    /// The direct generalisations (`up`) or specialisations of node `i`, at `levels`.
    fn neighbours<'l>(&'l self, i: u32, levels: &'l [u8], up: bool) -> impl Iterator<Item = u32> + 'l {
        levels.iter().zip(&self.cap).zip(&self.stride).filter_map(move |((&l, &c), &s)| {
            if up { (l < c).then(|| i + s as u32) } else { (l > 0).then(|| i - s as u32) }
        })
    }

    fn decode(&self, i: u32, out: &mut [u8]) {
        let mut i = i as u64;
        for (o, &c) in out.iter_mut().zip(&self.cap) {
            *o = (i % (c as u64 + 1)) as u8;
            i /= c as u64 + 1;
        }
    }
}

/// The read-only side of the search: the problem, the metric and per-combination tables.
struct Ctx<'p, 'a> {
    p: &'p Problem<'a>,
    metric: Metric,
    /// Entropy or recursive l-diversity: per base combination, the number of its tuple of
    /// sensitive codes (snapshots keep one entry per class and tuple: full histograms).
    sens_id: Vec<u32>,
    /// Distinct l-diversity only: per sensitive attribute, (offset, l) of its slots in a
    /// class's set of up to l distinct values, and the slots per class. Whether a class has l
    /// distinct values is all the criterion needs, and sets truncated at l merge exactly under
    /// union (if either side is full the union has l; else the union is exact), so snapshots
    /// keep one entry per class.
    sets: Vec<(usize, usize)>,
    width: usize,
    packed: Option<Packed<'p>>,
    /// More classes than this and a node fails the monotone part: at most N / k classes have
    /// k rows or more, and every other one holds at least one row that fails. `None` for k <= 1.
    cap: Option<usize>,
    /// A search from totals: the first error of the problem's [`Totals`]. Checks after it fail
    /// without asking, and the search returns it.
    failed: std::sync::Mutex<Option<SearchError>>,
}

impl Ctx<'_, '_> {
    fn new<'p, 'a>(p: &'p Problem<'a>, metric: Metric) -> Ctx<'p, 'a> {
        let mut sens_id = Vec::new();
        let mut sets = Vec::new();
        let mut width = 0usize;
        let distinct_only = p.criteria.diversity.iter().all(|&(_, d)| d == Diversity::Distinct);
        let total_l: u64 = p.criteria.diversity.iter().map(|&(l, _)| l).sum();
        if !p.criteria.diversity.is_empty() && distinct_only && total_l <= SET_SLOTS_MAX {
            for &(l, _) in &p.criteria.diversity {
                sets.push((width, l as usize));
                width += l as usize;
            }
        } else if !p.criteria.diversity.is_empty() {
            let mut index: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
            for r in 0..p.base.len() {
                let t: Vec<u32> = p.base.sensitive.iter().map(|s| s[r]).collect();
                let next = index.len() as u32;
                sens_id.push(*index.entry(t).or_insert(next));
            }
        }
        let k = p.criteria.k;
        let cap = (k > 1).then(|| {
            usize::try_from((p.rows / k).saturating_add(p.criteria.max_suppressed)).unwrap_or(usize::MAX)
        });
        let packed = if p.oracle.is_some() { None } else { Packed::new(p) };
        Ctx { p, metric, sens_id, sets, width, packed, cap, failed: std::sync::Mutex::new(None) }
    }

    /// Checks `node` from `items` (the base, or a snapshot of a specialisation of `node`):
    /// privacy, the monotone part of it, and the search's metric, with the node's snapshot.
    ///
    /// `None` when the node has more classes than `self.cap`: it fails the monotone part, found
    /// without finishing the grouping, with a hash table sized for the cap rather than the
    /// items (so a nearly unique bottom of the lattice costs memory for N / k classes, not N).
    fn check(&self, node: &[u8], items: Items<'_>, sc: &mut Scratch) -> Option<(Check, Snap)> {
        self.check_with(node, items, sc, self.cap)
    }

    /// [`Ctx::check`] with the given cap (`None`: always a result).
    fn check_with(
        &self,
        node: &[u8],
        items: Items<'_>,
        sc: &mut Scratch,
        cap: Option<usize>,
    ) -> Option<(Check, Snap)> {
        let p = self.p;
        if p.oracle.is_some() {
            return Some(self.check_from_totals(node));
        }
        let g =
            p.group_capped(node, items, self.packed.as_ref(), sc, !p.criteria.diversity.is_empty(), cap)?;
        let k = p.criteria.k;
        let n = p.rows;
        let (mut suppressed, mut kept, mut mono_suppressed, mut mono_kept) = (0u64, 0u64, 0u64, 0u64);
        let (mut sum_sq, mut floor) = (0u128, 0u128);
        let kappa = k.min(n) as u128;
        // Under l-diversity, per class: bit 0, it fails the criteria (suppressed); bit 1, it
        // fails the monotone part (fewer than k rows, or fewer than l distinct values of some
        // sensitive attribute). Otherwise both are: fewer than k rows.
        let mut class_sets = Vec::new();
        let (flags, entries) = if p.criteria.diversity.is_empty() {
            for &s in &g.size {
                let sq = s as u128 * s as u128;
                floor += s as u128 * kappa.max(s as u128);
                if s < k {
                    suppressed += s;
                } else {
                    kept += 1;
                    sum_sq += sq;
                }
            }
            (mono_suppressed, mono_kept) = (suppressed, kept);
            (Vec::new(), None)
        } else {
            let mut flags: Vec<u8> = g.size.iter().map(|&s| if s < k { 3 } else { 0 }).collect();
            let entries = if self.sets.is_empty() {
                Some(self.diversity(&g, items, &mut flags))
            } else {
                class_sets = self.distinct_sets(&g, items, &mut flags);
                None
            };
            for (&s, &f) in g.size.iter().zip(&flags) {
                let sq = s as u128 * s as u128;
                floor += s as u128 * kappa.max(s as u128);
                if f & 2 != 0 {
                    mono_suppressed += s;
                } else {
                    mono_kept += 1;
                }
                if f & 1 != 0 {
                    suppressed += s;
                } else {
                    kept += 1;
                    sum_sq += sq;
                }
            }
            (flags, entries)
        };
        let fails = |c: usize| if flags.is_empty() { g.size[c] < k } else { flags[c] & 1 != 0 };
        let limit = p.criteria.max_suppressed;
        let anonymous = suppressed <= limit && (kept > 0 || n == 0);
        // Loss and entropy only matter for nodes that meet the criteria: one of the two parts,
        // as `check_of` takes them.
        let (mut units, mut by_label) = (Vec::new(), Vec::new());
        if anonymous && self.metric == Metric::Loss {
            units = vec![0u128; node.len()];
            for (c, &s) in g.size.iter().enumerate() {
                if !fails(c) {
                    let r = g.first[c] as usize;
                    for (j, &l) in node.iter().enumerate() {
                        let lab = p.gens[j].codes[l as usize][p.base.qi.get(j, r) as usize];
                        units[j] += s as u128 * p.gens[j].loss_units(l as usize, lab) as u128;
                    }
                }
            }
        } else if anonymous && self.metric == Metric::Entropy {
            let classes: Vec<(u32, u64)> =
                (0..g.size.len()).filter(|&c| fails(c)).map(|c| (g.first[c], g.size[c])).collect();
            by_label = p.by_label(node, &classes);
        }
        let (discernibility, loss, entropy) = p.totals(node, sum_sq, suppressed, &units, &by_label);
        let check = Check {
            mono: mono_suppressed <= limit && (mono_kept > 0 || n == 0),
            anonymous,
            suppressed,
            classes: kept,
            discernibility,
            loss,
            entropy,
            mono_suppressed,
            floor,
        };
        let (rep, count) = entries.unwrap_or((g.first, g.size));
        let height = node.iter().map(|&l| l as usize).sum();
        let snap = Snap { levels: node.to_vec(), height, rep, count, sets: class_sets };
        Some((check, snap))
    }

    /// A check from the problem's [`Totals`] (the combinations are not in memory): the same
    /// `Check` [`Ctx::check_with`] makes from the same classes, and an empty snapshot. After an
    /// error (kept for the search to return), a failing check without asking.
    fn check_from_totals(&self, node: &[u8]) -> (Check, Snap) {
        let p = self.p;
        let height = node.iter().map(|&l| l as usize).sum();
        let snap =
            Snap { levels: node.to_vec(), height, rep: Vec::new(), count: Vec::new(), sets: Vec::new() };
        let failing = Check {
            mono: false,
            anonymous: false,
            suppressed: p.rows,
            classes: 0,
            discernibility: 0,
            loss: 0.0,
            entropy: 0.0,
            mono_suppressed: 0,
            floor: 0,
        };
        let failed = || self.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failed().is_some() {
            return (failing, snap);
        }
        let t = match p.node_totals(node) {
            Ok(t) => t,
            Err(e) => {
                failed().get_or_insert(e);
                return (failing, snap);
            }
        };
        let anonymous = t.suppressed <= p.criteria.max_suppressed && (t.kept > 0 || p.rows == 0);
        // The parts `check_with` computes: loss units or labels' suppressed rows, and only for a
        // node that meets the criteria.
        let units: &[u128] = if anonymous && self.metric == Metric::Loss { &t.loss_units } else { &[] };
        let by_label: &[Vec<(u32, u64)>] =
            if anonymous && self.metric == Metric::Entropy { &t.suppressed_by_label } else { &[] };
        let (discernibility, loss, entropy) = p.totals(node, t.sum_sq, t.suppressed, units, by_label);
        // With k and distinct l only, the monotone part is the criteria.
        let check = Check {
            mono: anonymous,
            anonymous,
            suppressed: t.suppressed,
            classes: t.kept,
            discernibility,
            loss,
            entropy,
            mono_suppressed: t.suppressed,
            floor: t.floor,
        };
        (check, snap)
    }

    /// Distinct l-diversity of each class of `g` from the items' sets of distinct values (one
    /// value each for base combinations): sets both bits of `flags` for classes with fewer
    /// than l distinct values of some attribute, and returns the classes' sets.
    fn distinct_sets(&self, g: &Grouping, items: Items<'_>, flags: &mut [u8]) -> Vec<u32> {
        let w = self.width;
        let mut sets = vec![u32::MAX; g.size.len() * w];
        // Adds `code` to a set of slots unless present or full (u32::MAX: free slot).
        fn add(slots: &mut [u32], code: u32) {
            for slot in slots {
                if *slot == code {
                    return;
                }
                if *slot == u32::MAX {
                    *slot = code;
                    return;
                }
            }
        }
        for (e, &c) in g.class_of.iter().enumerate() {
            let class = &mut sets[c as usize * w..(c as usize + 1) * w];
            for (s, &(off, l)) in self.sets.iter().enumerate() {
                match items.sets {
                    None => add(&mut class[off..off + l], self.p.base.sensitive[s][items.rep(e)]),
                    Some(src) => {
                        for &code in &src[e * w + off..e * w + off + l] {
                            if code == u32::MAX {
                                break;
                            }
                            add(&mut class[off..off + l], code);
                        }
                    }
                }
            }
        }
        for (c, f) in flags.iter_mut().enumerate() {
            let class = &sets[c * w..(c + 1) * w];
            if self.sets.iter().any(|&(off, l)| class[off..off + l].contains(&u32::MAX)) {
                *f |= 3;
            }
        }
        sets
    }

    /// l-diversity of each class of `g` (as `Problem::failing` decides it): sets bit 0 of
    /// `flags` for classes that fail a requirement and bit 1 for those with fewer than l
    /// distinct values. Returns the entries of the node's snapshot: one per class and tuple of
    /// sensitive values. Items are bucketed by class, and each class's are sorted on their own
    /// (classes are small where items are many), rather than hashed.
    fn diversity(&self, g: &Grouping, items: Items<'_>, flags: &mut [u8]) -> (Vec<u32>, Vec<u64>) {
        let p = self.p;
        let classes = g.size.len();
        // Items by class (counting sort): `start[c]..start[c + 1]` in `by_class`.
        let mut start = vec![0usize; classes + 1];
        for &c in &g.class_of {
            start[c as usize + 1] += 1;
        }
        for c in 0..classes {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut by_class = vec![0u32; items.len()];
        for (e, &c) in g.class_of.iter().enumerate() {
            by_class[fill[c as usize]] = e as u32;
            fill[c as usize] += 1;
        }
        let mut rep: Vec<u32> = Vec::new();
        let mut count: Vec<u64> = Vec::new();
        let mut tuples: Vec<(u32, u32)> = Vec::new();
        let mut pairs: Vec<(u32, u64)> = Vec::new();
        let several = p.criteria.diversity.len() > 1;
        for c in 0..classes {
            // This class's entries: its items merged by tuple of sensitive values.
            tuples.clear();
            tuples.extend(
                by_class[start[c]..start[c + 1]].iter().map(|&e| (self.sens_id[items.rep(e as usize)], e)),
            );
            tuples.sort_unstable();
            let first = rep.len();
            for (i, &(t, e)) in tuples.iter().enumerate() {
                if i == 0 || tuples[i - 1].0 != t {
                    rep.push(items.rep(e as usize) as u32);
                    count.push(0);
                }
                let last = count.len() - 1;
                count[last] += items.count[e as usize];
            }
            for (s, &(l, diversity)) in p.criteria.diversity.iter().enumerate() {
                let codes = &p.base.sensitive[s];
                pairs.clear();
                pairs.extend((first..rep.len()).map(|i| (codes[rep[i] as usize], count[i])));
                if several {
                    // Entries are distinct per tuple; add up those sharing this value.
                    merge_labels(&mut pairs);
                }
                // Most frequent value first, as `failing` orders them (ties are equal numbers).
                pairs.sort_unstable_by_key(|&(_, n)| std::cmp::Reverse(n));
                let total = g.size[c] as f64;
                let distinct = pairs.len() as u64;
                let ok = match diversity {
                    Diversity::Distinct => distinct >= l,
                    Diversity::Entropy => {
                        let h: f64 = pairs
                            .iter()
                            .map(|&(_, n)| {
                                let p = n as f64 / total;
                                -p * p.ln()
                            })
                            .sum();
                        h >= (l as f64).ln() - 1e-12
                    }
                    Diversity::Recursive { c: cc } => {
                        let tail: u64 =
                            pairs.iter().skip(l.saturating_sub(1) as usize).map(|&(_, n)| n).sum();
                        distinct >= l && (pairs[0].1 as f64) < cc * tail as f64
                    }
                };
                if !ok {
                    flags[c] |= 1;
                }
                if distinct < l {
                    flags[c] |= 2;
                }
            }
        }
        (rep, count)
    }
}

/// Node status bits: the monotone part known to hold / to fail; classes computed; out of the
/// running with all its generalisations / all its specialisations; grouped as a stepping stone.
const PASS: u8 = 1;
const FAIL: u8 = 2;
const CHECKED: u8 = 4;
const ABOVE: u8 = 8;
const BELOW: u8 = 16;
const STONE: u8 = 32;

/// The search's state.
///
/// **Monotone part.** A node "passes" if the rows in classes with fewer than k rows or fewer
/// than l distinct values of some sensitive attribute are within the suppression limit (and
/// some class is kept, or there are no rows). It is monotone: a generalisation's classes are
/// unions of the node's, a union containing a passing class passes, so the failing rows can
/// only shrink, and a passing node's generalisations all pass (and a failing node's
/// specialisations all fail). For k-anonymity and distinct l-diversity it *is* the criteria.
/// Entropy and recursive l-diversity imply it (l distinct values are needed for either) but are
/// not monotone with suppression (a passing class merged with a failing one can fail and be
/// suppressed with it), so nodes that pass it are all checked in full; nodes that fail it fail
/// the criteria.
///
/// **Out of the running.** `ABOVE`: a lower bound of the metric that never decreases under
/// generalisation exceeds the best cost, here or at a specialisation; `mono_bound` gives the
/// static part (discernibility: N^2 / C, C the product of the labels the data uses at each
/// level, which only shrinks going up, capped by the combinations; loss and entropy: the
/// metric without suppression, if the per-column tables grow with the level, which they do for
/// hierarchies whose levels are functions of the level below: checked) and `Check::floor` the
/// discernibility of checked nodes' classes. `BELOW`: a checked generalisation's rows failing
/// the monotone part cost more than the best when suppressed (`per_suppressed` each: N for
/// discernibility, the weights' sum over N x columns for loss; nothing for entropy, where a
/// suppressed row can lose 0 bits at the top levels). Such nodes cannot be optimal, nor tie
/// (the comparison keeps `better`'s tolerance), so they are neither classified nor checked.
struct Engine<'p, 'a> {
    ctx: Ctx<'p, 'a>,
    lat: Lattice,
    /// Nodes by height, then index; `layer[h]..layer[h + 1]` is height `h`.
    order: Vec<u32>,
    layer: Vec<usize>,
    status: Vec<u8>,
    /// Discernibility only: per node, a lower bound that only grows under generalisation
    /// (the largest of N^2 / C and the `floor` of any checked specialisation).
    bound: Vec<f64>,
    /// Per column and level, labels the data uses (discernibility's N^2 / C).
    used_labels: Vec<Vec<f64>>,
    /// Whether the loss and entropy tables grow with the level (see `mono_bound`).
    tables_monotone: bool,
    /// Checked nodes whose `floor` (discernibility) / suppression cost did not yet exceed the
    /// best cost.
    pending_up: Vec<(f64, u32)>,
    pending_down: Vec<(f64, u32)>,
    /// What each suppressed row costs at least: N for discernibility, the weights' sum over
    /// rows x columns for loss, nothing known for entropy (a row's bits can be 0).
    per_suppressed: f64,
    /// Columns by labels in use at level 0, most first (the order stepping stones raise them).
    by_labels: Vec<usize>,
    /// Snapshots by node.
    store: FxHashMap<u32, Snap>,
    stored: usize,
    budget: usize,
    scratch: Vec<Scratch>,
    best: Option<Evaluation>,
    stats: SearchStats,
}

impl<'p, 'a> Engine<'p, 'a> {
    fn new(p: &'p Problem<'a>, metric: Metric, lat: Lattice) -> Self {
        let m = lat.cap.len();
        let size = lat.size as usize;
        let max_height: usize = lat.cap.iter().map(|&c| c as usize).sum();
        // Nodes by height (counting sort), each height in index order.
        let mut levels = vec![0u8; m];
        let height = |i: usize, levels: &mut [u8]| {
            lat.decode(i as u32, levels);
            levels.iter().map(|&l| l as usize).sum::<usize>()
        };
        let mut layer = vec![0usize; max_height + 2];
        for i in 0..size {
            layer[height(i, &mut levels) + 1] += 1;
        }
        for h in 1..layer.len() {
            layer[h] += layer[h - 1];
        }
        let mut fill = layer.clone();
        let mut order = vec![0u32; size];
        for i in 0..size {
            let h = height(i, &mut levels);
            order[fill[h]] = i as u32;
            fill[h] += 1;
        }
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let bound = if metric == Metric::Discernibility { vec![0f64; size] } else { Vec::new() };
        // Labels in use per level: the distinct codes of the observed values.
        let used_labels: Vec<Vec<f64>> = p
            .gens
            .iter()
            .map(|g| {
                g.codes
                    .iter()
                    .map(|codes| {
                        let mut seen = vec![false; codes.iter().map(|&c| c as usize + 1).max().unwrap_or(0)];
                        codes.iter().filter(|&&c| !std::mem::replace(&mut seen[c as usize], true)).count()
                            as f64
                    })
                    .collect()
            })
            .collect();
        let grows = |t: &Vec<Vec<f64>>| t.iter().all(|col| col.windows(2).all(|w| w[1] >= w[0]));
        let mut by_labels: Vec<usize> = (0..m).collect();
        by_labels.sort_by(|&a, &b| used_labels[b][0].total_cmp(&used_labels[a][0]).then(a.cmp(&b)));
        Engine {
            ctx: Ctx::new(p, metric),
            lat,
            order,
            layer,
            status: vec![0u8; size],
            bound,
            used_labels,
            tables_monotone: grows(&p.gen_loss) && grows(&p.gen_entropy),
            pending_up: Vec::new(),
            pending_down: Vec::new(),
            per_suppressed: match metric {
                Metric::Discernibility => p.rows as f64,
                Metric::Loss if p.rows > 0 => {
                    p.weight.iter().sum::<f64>() / (p.rows as f64 * p.gens.len() as f64)
                }
                _ => 0.0,
            },
            by_labels,
            store: FxHashMap::default(),
            stored: 0,
            budget: (4 * p.base.len()).clamp(BUDGET_MIN, BUDGET_MAX.max(BUDGET_MIN)),
            scratch: (0..threads).map(|_| Scratch::default()).collect(),
            best: None,
            stats: SearchStats { lattice_size: size as u64, ..SearchStats::default() },
        }
    }

    /// The cost a node must not exceed to matter: the best cost, with `better`'s tolerance.
    fn threshold(&self) -> Option<f64> {
        self.best.as_ref().map(|b| {
            let bc = b.cost(self.ctx.metric);
            bc + bc.abs() * 1e-12
        })
    }

    /// The static part of the monotone bound (see `Engine`); 0 where there is none.
    fn mono_bound(&self, levels: &[u8]) -> f64 {
        let p = self.ctx.p;
        match self.ctx.metric {
            Metric::Discernibility => {
                let mut c = p.most_classes() as f64;
                let mut product = 1f64;
                for (j, &l) in levels.iter().enumerate() {
                    product *= self.used_labels[j][l as usize];
                }
                c = c.min(product);
                if c < 1.0 { 0.0 } else { (p.rows as f64) * (p.rows as f64) / c }
            }
            _ if self.tables_monotone => p.lower_bound(levels, self.ctx.metric),
            _ => 0.0,
        }
    }

    /// Whether `levels` fails k-anonymity within the limit by counting alone: it has at least as
    /// many classes as any column has labels in use at its level, at most N / k of them have
    /// k rows or more, and every other one holds a row that fails.
    fn fails_by_count(&self, levels: &[u8]) -> bool {
        let p = self.ctx.p;
        let k = p.criteria.k;
        if k <= 1 {
            return false;
        }
        let classes = levels
            .iter()
            .enumerate()
            .map(|(j, &l)| self.used_labels[j][l as usize] as u64)
            .max()
            .unwrap_or(1);
        classes.saturating_sub(p.rows / k) > p.criteria.max_suppressed
    }

    /// Whether `x` (at `levels`) may still beat or tie the best node.
    fn in_running(&self, x: u32, levels: &[u8]) -> bool {
        if self.status[x as usize] & (ABOVE | BELOW) != 0 {
            return false;
        }
        self.threshold().is_none_or(|t| self.mono_bound(levels) <= t)
    }

    /// Phase 1 (after Flash): classifies every node still in the running by the monotone part.
    /// Nodes are taken by height; from each unclassified one, a path climbs through unclassified
    /// generalisations still in the running (by the column that keeps the most labels), and
    /// its nodes are checked from the top down until one fails: a node that passes tags its
    /// generalisations, one that fails its specialisations (the rest of the path among them).
    /// Starting at the top rather than in the middle (Flash's binary search) measured faster:
    /// a failing node high up tags many nodes at once, and nodes low on a path have the most
    /// classes. Each check rolls up the smallest kept snapshot of a specialisation, after its
    /// stepping stones if that is large, else groups all combinations.
    fn classify_nodes(&mut self) {
        let m = self.lat.cap.len();
        let mut levels = vec![0u8; m];
        let mut up = vec![0u8; m];
        let mut path: Vec<u32> = Vec::new();
        for pos in 0..self.order.len() {
            let start = self.order[pos];
            if self.status[start as usize] & (PASS | FAIL) != 0 {
                continue;
            }
            self.lat.decode(start, &mut levels);
            if !self.in_running(start, &levels) {
                continue;
            }
            path.clear();
            path.push(start);
            let mut cur = start;
            loop {
                self.lat.decode(cur, &mut levels);
                // Climb along the column that keeps the most labels (the gentlest step).
                let mut next: Option<(f64, u32)> = None;
                for j in 0..m {
                    if levels[j] >= self.lat.cap[j] {
                        continue;
                    }
                    let y = cur + self.lat.stride[j] as u32;
                    if self.status[y as usize] & (PASS | FAIL) != 0 {
                        continue;
                    }
                    up.copy_from_slice(&levels);
                    up[j] += 1;
                    if !self.in_running(y, &up) {
                        continue;
                    }
                    let keep = self.used_labels[j][up[j] as usize] / self.used_labels[j][levels[j] as usize];
                    if next.is_none_or(|(k, _)| keep > k) {
                        next = Some((keep, y));
                    }
                }
                match next {
                    Some((_, y)) => {
                        path.push(y);
                        cur = y;
                    }
                    None => break,
                }
            }
            // From the top of the path down, until a node fails (and with it, the rest).
            while let Some(x) = path.pop() {
                self.lat.decode(x, &mut levels);
                let st = self.status[x as usize];
                if st & BELOW != 0 {
                    break; // It and everything below it on the path are out of the running.
                }
                if !self.in_running(x, &levels) {
                    continue; // It and everything above it are out; those below may not be.
                }
                if st & (PASS | FAIL) == 0 && self.fails_by_count(&levels) {
                    self.tag(x, FAIL);
                    self.stats.tagged += 1;
                    break;
                }
                if st & (PASS | FAIL) == 0 {
                    // Stepping stones are specialisations: they can only tag it PASS.
                    self.stones(&levels);
                }
                let st = self.status[x as usize];
                if st & FAIL != 0 {
                    break; // Tagged by a check further up this path's region.
                }
                if st & PASS != 0 {
                    continue;
                }
                let source = self.source_below(&levels);
                let items = match source {
                    Some(y) => self.store[&y].items(),
                    None => self.base_items(),
                };
                let from = items.len();
                let Some((check, snap)) = self.ctx.check(&levels, items, &mut self.scratch[0]) else {
                    // More classes than the cap: it fails, as if by counting.
                    self.stats.entries_read += from as u64;
                    self.stats.capped += 1;
                    self.tag(x, FAIL);
                    self.stats.tagged += 1;
                    break;
                };
                self.record(x, &levels, &check, source.is_some(), from);
                if snap.count.len() < from {
                    self.keep(x, snap, true);
                }
                if check.mono {
                    self.tag(x, PASS);
                } else {
                    self.tag(x, FAIL);
                    break;
                }
            }
        }
    }

    /// Before checking `levels` from a large source, checks the chain of its specialisations
    /// that raise its columns one at a time, most labels first, from the bottom: each rolls up
    /// the one before, and the early ones (few, as they involve few columns) are shared by
    /// many later checks. They are ordinary checks: classified, tagged and recorded.
    fn stones(&mut self, levels: &[u8]) {
        if self.ctx.p.oracle.is_some() {
            return; // No roll-ups from totals: a stone would be one more job.
        }
        let limit = self.ctx.p.base.len() / STONE_DIVISOR;
        let big = |e: &Self| e.source_below(levels).is_none_or(|y| e.store[&y].count.len() > limit);
        if !big(self) {
            return;
        }
        let m = levels.len();
        let mut z = vec![0u8; m];
        for t in 0..m {
            let j = self.by_labels[t];
            if levels[j] == 0 {
                continue;
            }
            z[j] = levels[j];
            if z == levels {
                break;
            }
            let x: u32 = z.iter().zip(&self.lat.stride).map(|(&l, &s)| l as u32 * s as u32).sum();
            // A stone is grouped once: kept, or not worth keeping (or evicted) for good. One that
            // fails by counting has about as many classes as entries: no use as a source.
            if self.status[x as usize] & STONE != 0 || self.fails_by_count(&z) {
                continue;
            }
            self.status[x as usize] |= STONE;
            let source = self.source_below(&z);
            let items = match source {
                Some(y) => self.store[&y].items(),
                None => self.base_items(),
            };
            let from = items.len();
            let checked = self.ctx.check(&z, items, &mut self.scratch[0]);
            let st = self.status[x as usize];
            let Some((check, snap)) = checked else {
                // More classes than the cap: it fails (no use as a source either).
                self.stats.entries_read += from as u64;
                if st & (PASS | FAIL | CHECKED) == 0 {
                    self.tag(x, FAIL);
                    self.stats.tagged += 1;
                    self.stats.capped += 1;
                }
                continue;
            };
            if st & CHECKED == 0 {
                if st & FAIL != 0 {
                    self.stats.tagged -= 1;
                }
                self.record(x, &z, &check, source.is_some(), from);
                self.tag(x, if check.mono { PASS } else { FAIL });
            }
            if snap.count.len() < from {
                self.keep(x, snap, true);
            }
        }
    }

    /// Phase 2: checks, height by height from the bottom, every node that passes the monotone
    /// part and was not checked in phase 1, unless a lower bound of its cost cannot beat the
    /// best node so far. Each rolls up the snapshot of a checked direct specialisation: unless
    /// the node is minimal (then phase 1 checked it), one of its direct specialisations
    /// passes, and was checked unless out of the running, and then so is the node.
    fn evaluate_passing(&mut self) {
        let m = self.lat.cap.len();
        let mut levels = vec![0u8; m];
        let discernibility = self.ctx.metric == Metric::Discernibility;
        for h in 0..self.layer.len() - 1 {
            let threshold = self.threshold();
            let mut jobs: Vec<(u32, Option<u32>)> = Vec::new();
            for pos in self.layer[h]..self.layer[h + 1] {
                let x = self.order[pos];
                self.lat.decode(x, &mut levels);
                if discernibility {
                    // Floors only grow under generalisation: a specialisation's bound holds here
                    // too.
                    let mut b = self.bound[x as usize].max(self.mono_bound(&levels));
                    for y in self.lat.neighbours(x, &levels, false) {
                        b = b.max(self.bound[y as usize]);
                    }
                    self.bound[x as usize] = b;
                }
                let st = self.status[x as usize];
                if st & CHECKED != 0 || st & FAIL != 0 {
                    continue;
                }
                let lb = if discernibility {
                    self.bound[x as usize]
                } else {
                    self.ctx.p.lower_bound(&levels, self.ctx.metric)
                };
                if st & (ABOVE | BELOW) != 0 || threshold.is_some_and(|t| lb > t) {
                    self.stats.pruned += 1;
                    continue;
                }
                debug_assert!(st & PASS != 0, "phase 1 left node {x} unclassified");
                let direct = (self.lat.neighbours(x, &levels, false))
                    .filter_map(|y| self.store.get(&y).map(|s| (s.count.len(), y)))
                    .min();
                jobs.push((x, direct.map(|(_, y)| y).or_else(|| self.source_below(&levels))));
            }
            let results = self.run(&jobs);
            for (&(x, source), (check, snap)) in jobs.iter().zip(results) {
                self.lat.decode(x, &mut levels);
                let from = source.map_or(self.ctx.p.base.len(), |y| self.store[&y].count.len());
                self.record(x, &levels, &check, source.is_some(), from);
                self.keep(x, snap, false);
            }
            // Snapshots below this height are no longer direct specialisations of anything left.
            let stale: Vec<u32> = self.store.iter().filter(|(_, s)| s.height < h).map(|(&y, _)| y).collect();
            for y in stale {
                self.drop_snap(y);
            }
        }
    }

    /// Checks `jobs` (node, source snapshot), on several threads if there is enough work.
    fn run(&mut self, jobs: &[(u32, Option<u32>)]) -> Vec<(Check, Snap)> {
        let m = self.lat.cap.len();
        let (ctx, store, lat) = (&self.ctx, &self.store, &self.lat);
        let base = Items { rep: None, count: &ctx.p.base.count, sets: None };
        let items = |s: Option<u32>| s.map_or(base, |y| store[&y].items());
        let work: Vec<usize> = jobs.iter().map(|&(_, s)| items(s).len()).collect();
        let total: usize = work.iter().sum();
        let one = |sc: &mut Scratch, job: &[(u32, Option<u32>)]| -> Vec<(Check, Snap)> {
            let mut levels = vec![0u8; m];
            job.iter()
                .map(|&(x, s)| {
                    lat.decode(x, &mut levels);
                    // Nodes checked here pass the monotone part, so never exceed the cap;
                    // should one, it is grouped in full.
                    match ctx.check(&levels, items(s), sc) {
                        Some(c) => c,
                        None => match ctx.check_with(&levels, items(s), sc, None) {
                            Some(c) => c,
                            None => unreachable!("a check without a cap always has a result"),
                        },
                    }
                })
                .collect()
        };
        let largest = work.iter().copied().max().unwrap_or(0).max(1);
        let threads = self.scratch.len().min((PARALLEL_ENTRIES / largest).max(1));
        if threads <= 1 || jobs.len() <= 1 || total < PARALLEL_MIN {
            return one(&mut self.scratch[0], jobs);
        }
        // Contiguous chunks of about equal work; results in job order whatever the threads.
        let mut cuts = vec![0usize];
        let mut acc = 0usize;
        for (i, &w) in work.iter().enumerate() {
            acc += w;
            if acc * threads >= total * cuts.len() && cuts.len() < threads {
                cuts.push(i + 1);
            }
        }
        cuts.push(jobs.len());
        cuts.dedup();
        std::thread::scope(|s| {
            let handles: Vec<_> = self
                .scratch
                .iter_mut()
                .zip(cuts.windows(2))
                .map(|(sc, w)| {
                    let chunk = &jobs[w[0]..w[1]];
                    s.spawn(move || one(sc, chunk))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }

    fn base_items(&self) -> Items<'p> {
        Items { rep: None, count: &self.ctx.p.base.count, sets: None }
    }

    /// The kept snapshot of a specialisation of `levels` with the fewest entries, if smaller
    /// than the base (ties: the lowest node).
    fn source_below(&self, levels: &[u8]) -> Option<u32> {
        self.store
            .iter()
            .filter(|(_, s)| s.levels.iter().zip(levels).all(|(a, b)| a <= b))
            .map(|(&y, s)| (s.count.len(), y))
            .min()
            .filter(|&(e, _)| e < self.ctx.p.base.len())
            .map(|(_, y)| y)
    }

    /// Keeps a snapshot within the memory budget: in phase 1 by dropping the largest kept
    /// ones first, in phase 2 by not keeping it (its generalisations then use another source).
    fn keep(&mut self, x: u32, snap: Snap, evict: bool) {
        if self.ctx.p.oracle.is_some() {
            return; // Empty: nothing to roll up.
        }
        let size = snap.count.len();
        if size > self.budget {
            return; // It could never fit: keep the ones there are.
        }
        if evict {
            while self.stored + size > self.budget && !self.store.is_empty() {
                let largest =
                    self.store.iter().map(|(&y, s)| (s.count.len(), y)).max().map(|(_, y)| y).unwrap_or(x);
                self.drop_snap(largest);
            }
        }
        if self.stored + size <= self.budget {
            self.stored += size;
            if let Some(old) = self.store.insert(x, snap) {
                self.stored -= old.count.len();
            }
        }
    }

    fn drop_snap(&mut self, y: u32) {
        if let Some(s) = self.store.remove(&y) {
            self.stored -= s.count.len();
        }
    }

    /// Records a checked node: statistics, bounds and the best node so far.
    fn record(&mut self, x: u32, levels: &[u8], check: &Check, rolled_up: bool, from: usize) {
        self.status[x as usize] |= CHECKED;
        self.stats.checked += 1;
        self.stats.rolled_up += rolled_up as u64;
        self.stats.entries_read += from as u64;
        if !self.bound.is_empty() {
            let b = &mut self.bound[x as usize];
            *b = b.max(check.floor as f64);
            self.pending_up.push((check.floor as f64, x));
        }
        if self.per_suppressed > 0.0 {
            self.pending_down.push((check.mono_suppressed as f64 * self.per_suppressed, x));
        }
        let mut improved = false;
        if check.anonymous {
            self.stats.anonymous += 1;
            let e = Evaluation {
                node: levels.to_vec(),
                anonymous: true,
                suppressed: check.suppressed,
                classes: check.classes,
                min_class: 0,
                discernibility: check.discernibility,
                loss: check.loss,
                entropy: check.entropy,
                l_distinct: Vec::new(),
                l_entropy: Vec::new(),
            };
            if self.best.as_ref().is_none_or(|b| better(&e, b, self.ctx.metric, &self.ctx.p.weight)) {
                self.best = Some(e);
                improved = true;
            }
        }
        self.mark_beyond(improved);
    }

    /// Puts out of the running every node a checked one's bounds exclude, now that the best
    /// cost is known or lower: the node and its generalisations if its `floor` exceeds it
    /// (discernibility), the node and its specialisations if its rows failing the monotone part
    /// cost more than it when suppressed (see `Engine`).
    /// Only the last pending entries are new unless the best improved (`all`).
    fn mark_beyond(&mut self, all: bool) {
        let Some(t) = self.threshold() else { return };
        for up in [true, false] {
            let pending = if up { &mut self.pending_up } else { &mut self.pending_down };
            let from = if all { 0 } else { pending.len().saturating_sub(1) };
            let (out, keep): (Vec<_>, Vec<_>) = pending.drain(from..).partition(|&(v, _)| v > t);
            pending.extend(keep);
            let bit = if up { ABOVE } else { BELOW };
            for (_, x) in out {
                self.spread(x, bit, up);
            }
        }
    }

    /// Sets `bit` on `x` and on every generalisation (`up`) or specialisation of it.
    fn spread(&mut self, x: u32, bit: u8, up: bool) {
        if self.status[x as usize] & bit != 0 {
            return;
        }
        let mut levels = vec![0u8; self.lat.cap.len()];
        self.status[x as usize] |= bit;
        let mut stack = vec![x];
        while let Some(y) = stack.pop() {
            self.lat.decode(y, &mut levels);
            for z in self.lat.neighbours(y, &levels, up) {
                let st = &mut self.status[z as usize];
                if *st & bit == 0 {
                    debug_assert!(
                        bit & (PASS | FAIL) == 0 || *st & (PASS | FAIL) == 0,
                        "monotone part contradicted at {z}"
                    );
                    *st |= bit;
                    if bit == FAIL {
                        self.stats.tagged += 1;
                    }
                    stack.push(z);
                }
            }
        }
    }

    /// Sets `x`'s status and propagates it: PASS to every generalisation, FAIL to every
    /// specialisation (within the caps). Nodes that learn FAIL this way count as tagged.
    fn tag(&mut self, x: u32, status: u8) {
        self.status[x as usize] &= !status;
        self.spread(x, status, status == PASS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HierarchySpec;

    /// One quasi-identifier (a, b → *), one sensitive attribute; class a holds x, x, y and
    /// class b holds x, y, z (one row each).
    fn fixture() -> (Vec<Generalisation>, Base) {
        let g = Generalisation::build("q", &HierarchySpec::Suppress, &["a".into(), "b".into()]).unwrap();
        let base = Base {
            qi: vec![vec![0, 0, 1, 1, 1]].into(),
            sensitive: vec![vec![0, 1, 0, 1, 2]],
            sensitive_card: vec![3],
            count: vec![2, 1, 1, 1, 1],
        };
        (vec![g], base)
    }

    fn check(k: u64, diversity: Diversity, l: u64) -> Evaluation {
        let (gens, base) = fixture();
        let p =
            Problem::new(&gens, &base, Criteria { k, max_suppressed: 6, diversity: vec![(l, diversity)] });
        p.evaluate(&[0]).unwrap()
    }

    #[test]
    fn diversity_variants() {
        // Distinct l = 2: both classes pass (2 and 3 values).
        let e = check(3, Diversity::Distinct, 2);
        assert_eq!((e.suppressed, e.classes, e.l_distinct[0]), (0, 2, 2));
        // Entropy l = 2: class a has entropy ln(3) - (2/3) ln 2 < ln 2, so it is suppressed.
        let e = check(3, Diversity::Entropy, 2);
        assert_eq!((e.suppressed, e.classes), (3, 1));
        assert!((e.l_entropy[0] - 3.0).abs() < 1e-9);
        // Recursive (c=1, l=2): a has r1 = 2 >= 1 x r2 = 1, fails; b has 1 < 1 x (1 + 1), passes.
        let e = check(3, Diversity::Recursive { c: 1.0 }, 2);
        assert_eq!((e.suppressed, e.classes), (3, 1));
        // k = 4 fails both classes; at the top node they merge into one class of 6.
        let e = check(4, Diversity::Distinct, 2);
        assert_eq!(e.suppressed, 6);
        let (gens, base) = fixture();
        let p = Problem::new(&gens, &base, Criteria { k: 4, max_suppressed: 0, diversity: vec![] });
        let top = p.evaluate(&[1]).unwrap();
        assert!(top.anonymous);
        assert_eq!((top.classes, top.min_class, top.discernibility), (1, 6, 36));
        // Loss: at the top every cell covers the whole 2-value domain.
        assert!((top.loss - 1.0).abs() < 1e-12);
        let (best, stats) = p.search(Metric::Loss).unwrap();
        assert_eq!(best.node, vec![1]);
        assert_eq!(stats.lattice_size, 2);
    }

    /// The bottom's class sizes by one scan equal the grouping's, and unsorted combinations
    /// are refused rather than miscounted.
    #[test]
    fn bottom_class_sizes_by_scan_equal_the_grouping() {
        let (gens, base) = fixture();
        let p = Problem::new(&gens, &base, Criteria { k: 1, max_suppressed: 0, diversity: vec![] });
        assert_eq!(base.bottom_class_sizes(), Some(p.class_sizes(&[0]).unwrap()));
        assert_eq!(base.bottom_class_sizes(), Some(vec![3, 3]));
        let mut rng = Lcg(3);
        let gens = vec![wide(&mut rng, 40, 7), wide(&mut rng, 30, 5)];
        let mut rows: Vec<(u32, u32, u32)> =
            (0..2_000).map(|_| (rng.next(40) as u32, rng.next(30) as u32, rng.next(4) as u32)).collect();
        rows.sort_unstable();
        rows.dedup();
        let base = Base {
            qi: vec![rows.iter().map(|r| r.0).collect(), rows.iter().map(|r| r.1).collect()].into(),
            sensitive: vec![rows.iter().map(|r| r.2).collect()],
            sensitive_card: vec![4],
            count: (0..rows.len()).map(|_| 1 + rng.next(5)).collect(),
        };
        let p = Problem::new(&gens, &base, Criteria { k: 1, max_suppressed: 0, diversity: vec![] });
        assert_eq!(base.bottom_class_sizes(), Some(p.class_sizes(&[0, 0]).unwrap()));
        let mut unsorted = base.clone();
        let mut columns = unsorted.qi.to_columns();
        columns[0].swap(0, rows.len() - 1);
        unsorted.qi = columns.into();
        assert_eq!(unsorted.bottom_class_sizes(), None);
    }

    /// Deterministic pseudo-random numbers (a 64-bit LCG).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    /// A column of `values` values whose level 1 maps them at random onto `labels` labels (most
    /// unused) and level 2 is `*`.
    fn wide(rng: &mut Lcg, values: usize, labels: usize) -> Generalisation {
        let codes1: Vec<u32> = (0..values).map(|_| rng.next(labels as u64) as u32).collect();
        let mut leaves1 = vec![0u64; labels];
        for &c in &codes1 {
            leaves1[c as usize] += 1;
        }
        Generalisation {
            column: "w".into(),
            description: String::new(),
            codes: vec![(0..values as u32).collect(), codes1, vec![0; values]],
            labels: vec![
                (0..values).map(|v| format!("{v:03}")).collect(),
                (0..labels).map(|_| "").collect(),
                ["*"].iter().collect(),
            ],
            leaves: vec![vec![1; values], leaves1, vec![values as u64]],
            domain: values as u64,
            spec: None,
        }
    }

    #[test]
    fn every_grouping_path_agrees_with_a_plain_grouping() {
        let mut rng = Lcg(11);
        let gens: Vec<Generalisation> = (0..4).map(|_| wide(&mut rng, 50, 1 << 17)).collect();
        let n = 3000;
        let by_columns = Base {
            qi: (0..4)
                .map(|_| {
                    (0..n)
                        .map(|_| {
                            let pool = if rng.next(2) == 0 { 3 } else { 50 };
                            rng.next(pool) as u32
                        })
                        .collect()
                })
                .collect::<Vec<Vec<u32>>>()
                .into(),
            count: (0..n).map(|_| 1 + rng.next(3)).collect(),
            ..Base::default()
        };
        // The same codes packed in words, as counted (each column in the bits of its largest code).
        let columns = by_columns.qi.to_columns();
        let by_words = Base { qi: Codes::pack(columns), ..by_columns.clone() };
        for base in [by_columns, by_words] {
            let p = Problem::new(&gens, &base, Criteria { k: 2, max_suppressed: 0, diversity: vec![] });
            let packed = Packed::new(&p);
            assert!(packed.is_some());
            let rep: Vec<u32> = (0..n as u32).rev().collect();
            let count: Vec<u64> = rep.iter().map(|&r| base.count[r as usize]).collect();
            // Key spaces: 2^68 (folded), 2^34 x 2500 (64-bit hash), 50^4 (32-bit hash), 2500 (dense).
            for node in [[1u8, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 2, 2], [2, 2, 2, 2]] {
                for reversed in [false, true] {
                    let items = if reversed {
                        Items { rep: Some(&rep), count: &count, sets: None }
                    } else {
                        Items { rep: None, count: &base.count, sets: None }
                    };
                    // Plain: first appearance of each tuple of labels.
                    let mut index: std::collections::HashMap<Vec<u32>, u32> = Default::default();
                    let (mut class_of, mut size, mut first) = (Vec::new(), Vec::new(), Vec::new());
                    for e in 0..n {
                        let r = items.rep(e);
                        let key: Vec<u32> = (0..4)
                            .map(|j| gens[j].codes[node[j] as usize][base.qi.get(j, r) as usize])
                            .collect();
                        let next = index.len() as u32;
                        let c = *index.entry(key).or_insert(next);
                        if c == next {
                            size.push(0);
                            first.push(r as u32);
                        }
                        size[c as usize] += items.count[e];
                        class_of.push(c);
                    }
                    for pk in [None, packed.as_ref()] {
                        let g = p.group_items(&node, items, pk, &mut Scratch::default(), true);
                        assert_eq!((&g.class_of, &g.size, &g.first), (&class_of, &size, &first), "{node:?}");
                    }
                    // Capped: abandoned exactly when there are more classes than the cap (small key
                    // spaces, indexed directly, are never abandoned), else the same grouping.
                    for cap in [0, size.len().saturating_sub(1), size.len(), size.len() + 3] {
                        for pk in [None, packed.as_ref()] {
                            let mut sc = Scratch::default();
                            match p.group_capped(&node, items, pk, &mut sc, true, Some(cap)) {
                                Some(g) => {
                                    assert_eq!((&g.class_of, &g.size, &g.first), (&class_of, &size, &first));
                                }
                                None => assert!(size.len() > cap, "{node:?}: abandoned under the cap {cap}"),
                            }
                            // The scratch is still good for an uncapped grouping.
                            let g = p.group_items(&node, items, pk, &mut sc, true);
                            assert_eq!(
                                (&g.class_of, &g.size, &g.first),
                                (&class_of, &size, &first),
                                "{node:?}"
                            );
                        }
                    }
                    // A reused scratch (dense slots reset, hash generations) gives the same again.
                    let mut sc = Scratch::default();
                    for _ in 0..3 {
                        let g = p.group_items(&node, items, packed.as_ref(), &mut sc, false);
                        assert_eq!((&g.size, &g.first), (&size, &first), "{node:?}");
                    }
                }
            }
        }
    }

    /// Generalisations of each column of `data` (rows of text values, column by column) and
    /// the base: its combinations with a random sensitive value of 3 each (sorted by codes).
    fn problem_of(spec: &HierarchySpec, data: &[Vec<String>], rng: &mut Lcg) -> (Vec<Generalisation>, Base) {
        let gens: Vec<Generalisation> =
            data.iter().map(|d| Generalisation::build("x", spec, d).unwrap()).collect();
        let mut combos: std::collections::BTreeMap<(Vec<u32>, u32), u64> = Default::default();
        for r in 0..data[0].len() {
            let key =
                gens.iter().zip(data).map(|(g, d)| g.values().binary_search(&d[r]).unwrap() as u32).collect();
            *combos.entry((key, rng.next(3) as u32)).or_insert(0) += 1;
        }
        let mut qi: Vec<Vec<u32>> = vec![Vec::new(); data.len()];
        let mut base = Base { sensitive: vec![Vec::new()], sensitive_card: vec![3], ..Base::default() };
        for ((key, s), c) in combos {
            for (j, v) in key.into_iter().enumerate() {
                qi[j].push(v);
            }
            base.sensitive[0].push(s);
            base.count.push(c);
        }
        base.qi = qi.into();
        (gens, base)
    }

    /// The cap at its boundary, on a hashed key space: N = 600 rows in 300 classes of 2, k = 2,
    /// no suppression: ⌊N / k⌋ + 0 = 300 classes, so the bottom is checked (and passes); one
    /// more row of a class of its own makes 301 classes past the cap of 300, and it fails.
    #[test]
    fn the_class_cap_holds_at_its_boundary() {
        let spec = HierarchySpec::Interval { widths: vec![1000], range: None };
        for extra in [false, true] {
            let n = 300 + extra as u32;
            let values: Vec<String> = (0..n).map(|i| format!("{i:04}")).collect();
            let g = Generalisation::build("x", &spec, &values).unwrap();
            let gens = vec![g.clone(), g];
            let mut count = vec![2u64; 300];
            if extra {
                count.push(1);
            }
            let base = Base {
                qi: vec![(0..n).collect(), (0..n).collect()].into(),
                sensitive: vec![],
                sensitive_card: vec![],
                count,
            };
            let p = Problem::new(&gens, &base, Criteria { k: 2, max_suppressed: 0, diversity: vec![] });
            let ctx = Ctx::new(&p, Metric::Loss);
            assert_eq!(ctx.cap, Some(300));
            // 300 x 300 (or 301 x 301) labels: beyond direct indexing, so hashed.
            assert!((n as u64) * (n as u64) > DENSE_MAX);
            let items = Items { rep: None, count: &base.count, sets: None };
            let checked = ctx.check(&[0, 0], items, &mut Scratch::default());
            match checked {
                Some((check, _)) => {
                    assert!(!extra, "301 classes are past the cap of 300");
                    assert!(check.mono && check.anonymous);
                }
                None => assert!(extra, "300 classes are within the cap of 300"),
            }
            assert_eq!(p.evaluate(&[0, 0]).unwrap().anonymous, !extra);
        }
    }

    /// With hashed groupings (key spaces beyond direct indexing), some nearly unique (the low
    /// nodes' groupings are abandoned at the class cap) and some with popular combinations (low
    /// nodes pass, so a cap set too low would lose them): the search equals checking every node.
    #[test]
    fn search_with_abandoned_groupings_equals_exhaustive() {
        let mut rng = Lcg(17);
        let mut capped = 0;
        let mut low_passing = 0;
        for case in 0..24 {
            let m = 2;
            let rows = 3000 + rng.next(3000) as usize;
            let noise = [2, 50, 90][case % 3];
            let spec = HierarchySpec::Interval { widths: vec![2, 4, 8, 16, 32], range: None };
            let popular: Vec<(u64, u64)> = (0..600).map(|_| (rng.next(600), rng.next(600))).collect();
            let mut data: Vec<Vec<String>> = vec![Vec::new(); m];
            for _ in 0..rows {
                let (a, b) = if rng.next(100) < noise {
                    (rng.next(600), rng.next(600))
                } else {
                    popular[rng.next(popular.len() as u64) as usize]
                };
                data[0].push(a.to_string());
                data[1].push(b.to_string());
            }
            let (gens, base) = problem_of(&spec, &data, &mut rng);
            let diversity = if case % 2 == 0 { vec![] } else { vec![(2, Diversity::Distinct)] };
            let k = 2 + rng.next(4);
            let criteria =
                Criteria { k, max_suppressed: rows as u64 / 20 + rng.next(rows as u64 / 10), diversity };
            let p = Problem::new(&gens, &base, criteria);
            let caps: Vec<u8> = gens.iter().map(|g| g.height() as u8).collect();
            let lat = Lattice::new(&caps).unwrap();
            let mut node = vec![0u8; m];
            let evaluations: Vec<Evaluation> = (0..lat.size as u32)
                .map(|i| {
                    lat.decode(i, &mut node);
                    p.evaluate(&node).unwrap()
                })
                .collect();
            // Passing nodes whose key space is hashed (more labels than direct indexing takes).
            low_passing += evaluations
                .iter()
                .filter(|e| {
                    e.anonymous
                        && e.node
                            .iter()
                            .zip(&gens)
                            .map(|(&l, g)| g.labels[l as usize].len() as u64)
                            .product::<u64>()
                            > DENSE_MAX
                })
                .count();
            for metric in [Metric::Discernibility, Metric::Loss, Metric::Entropy] {
                let mut best: Option<&Evaluation> = None;
                for e in &evaluations {
                    if e.anonymous && best.is_none_or(|b| better(e, b, metric, &p.weight)) {
                        best = Some(e);
                    }
                }
                match (p.search(metric), best) {
                    (Ok((got, stats)), Some(b)) => {
                        assert_eq!(&got, b, "case {case} {metric:?}");
                        assert_eq!(stats.checked + stats.tagged + stats.pruned, stats.lattice_size);
                        capped += stats.capped;
                    }
                    (Err(_), None) => {}
                    (got, b) => panic!("case {case} {metric:?}: search {got:?}, exhaustive {b:?}"),
                }
            }
        }
        assert!(capped > 0, "no grouping was abandoned: the test does not exercise the cap");
        assert!(low_passing > 0, "no hashed node passes: a cap set too low would go unnoticed");
    }

    /// With snapshots evicted almost at once (`BUDGET_MIN` is tiny in unit tests), the search
    /// still equals checking every node.
    #[test]
    fn search_with_a_tiny_snapshot_budget_equals_exhaustive() {
        let mut rng = Lcg(5);
        let mut solved = 0;
        for case in 0..150 {
            let m = 2 + rng.next(3) as usize;
            let rows = 20 + rng.next(200) as usize;
            let spec = HierarchySpec::Interval { widths: vec![2, 4, 8], range: None };
            let data: Vec<Vec<String>> = (0..m)
                .map(|_| (0..rows).map(|_| (rng.next(6) + rng.next(6) * rng.next(2)).to_string()).collect())
                .collect();
            let (gens, base) = problem_of(&spec, &data, &mut rng);
            let diversity = match case % 3 {
                0 => vec![],
                1 => vec![(2, Diversity::Distinct)],
                _ => vec![(2, Diversity::Recursive { c: 2.0 })],
            };
            let k = 2 + rng.next(4);
            let p = Problem::new(
                &gens,
                &base,
                Criteria { k, max_suppressed: rng.next(rows as u64 / 4), diversity },
            );
            let caps: Vec<u8> = gens.iter().map(|g| g.height() as u8).collect();
            for metric in [Metric::Discernibility, Metric::Loss, Metric::Entropy] {
                let mut best: Option<Evaluation> = None;
                let lat = Lattice::new(&caps).unwrap();
                let mut node = vec![0u8; m];
                for i in 0..lat.size as u32 {
                    lat.decode(i, &mut node);
                    let e = p.evaluate(&node).unwrap();
                    if e.anonymous && best.as_ref().is_none_or(|b| better(&e, b, metric, &p.weight)) {
                        best = Some(e);
                    }
                }
                match (p.search(metric), best) {
                    (Ok((got, stats)), Some(b)) => {
                        assert_eq!(got, b, "case {case} {metric:?}");
                        assert_eq!(stats.checked + stats.tagged + stats.pruned, stats.lattice_size);
                        solved += 1;
                    }
                    (Err(SearchError::NoSolution(_)), None) => {}
                    (got, b) => panic!("case {case} {metric:?}: {got:?} vs {b:?}"),
                }
            }
        }
        assert!(solved > 200, "{solved}");
    }

    /// The figures are formed from parts that add up exactly ([`NodeTotals`]): a node's evaluation,
    /// its per-column metrics and its risk are bit for bit the same whatever the order of the
    /// combinations, and a check rolled up from a specialisation's snapshot gives the same
    /// loss and entropy as one over the combinations. (Summed class by class in floating
    /// point, as before, the last bits depended on the order: a cluster's partial sums, or the
    /// roll-up path, would have changed the report's figures.)
    #[test]
    fn figures_do_not_depend_on_the_order_of_the_classes() {
        let mut rng = Lcg(29);
        let spec = HierarchySpec::Interval { widths: vec![3, 9, 27], range: None };
        let mut compared = 0;
        for case in 0..6 {
            let rows = 2000 + rng.next(2000) as usize;
            let data: Vec<Vec<String>> = (0..3)
                .map(|j| (0..rows).map(|_| rng.next([60, 200, 700][j]).to_string()).collect())
                .collect();
            let (gens, base) = problem_of(&spec, &data, &mut rng);
            // The same combinations in another order.
            let mut order: Vec<usize> = (0..base.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.next(i as u64 + 1) as usize);
            }
            let qi: Vec<Vec<u32>> =
                (0..3).map(|j| order.iter().map(|&r| base.qi.get(j, r)).collect()).collect();
            let shuffled = Base {
                qi: qi.into(),
                sensitive: vec![order.iter().map(|&r| base.sensitive[0][r]).collect()],
                sensitive_card: base.sensitive_card.clone(),
                count: order.iter().map(|&r| base.count[r]).collect(),
            };
            let diversity = if case % 2 == 0 { vec![] } else { vec![(2, Diversity::Distinct)] };
            let criteria = Criteria { k: 3 + rng.next(5), max_suppressed: rows as u64 / 4, diversity };
            let weights = [Some(1.0), Some(2.5), Some(0.3)];
            let p = Problem::new(&gens, &base, criteria.clone()).with_priorities(&weights, &[]);
            let q = Problem::new(&gens, &shuffled, criteria).with_priorities(&weights, &[]);
            let lat = Lattice::new(&p.cap).unwrap();
            let mut node = vec![0u8; 3];
            for i in 0..lat.size as u32 {
                lat.decode(i, &mut node);
                let (a, ca) = p.evaluate_full(&node).unwrap();
                let (b, cb) = q.evaluate_full(&node).unwrap();
                assert_eq!(a, b, "case {case} node {node:?}");
                assert_eq!(p.attribute_metrics(&node, &ca), q.attribute_metrics(&node, &cb));
                let mut sizes = ca.kept_sizes.clone();
                let mut other = cb.kept_sizes.clone();
                sizes.push(ca.suppressed_sizes.iter().sum());
                other.push(cb.suppressed_sizes.iter().sum());
                assert_eq!(crate::risk::risk(&sizes, 0.3), crate::risk::risk(&other, 0.3));
                compared += usize::from(a.anonymous && a.suppressed > 0 && ca.kept_sizes.len() > 1);
            }
            // Roll-ups: every node checked over the combinations and from each direct
            // specialisation's snapshot.
            for metric in [Metric::Loss, Metric::Entropy] {
                let ctx = Ctx::new(&p, metric);
                let mut sc = Scratch::default();
                let items = Items { rep: None, count: &base.count, sets: None };
                let mut spec_node = vec![0u8; 3];
                for i in 0..lat.size as u32 {
                    lat.decode(i, &mut node);
                    let Some((whole, _)) = ctx.check_with(&node, items, &mut sc, None) else { continue };
                    for j in 0..3 {
                        if node[j] == 0 {
                            continue;
                        }
                        spec_node.copy_from_slice(&node);
                        spec_node[j] -= 1;
                        let Some((_, snap)) = ctx.check_with(&spec_node, items, &mut sc, None) else {
                            continue;
                        };
                        let Some((rolled, _)) = ctx.check_with(&node, snap.items(), &mut sc, None) else {
                            continue;
                        };
                        assert_eq!(
                            (rolled.anonymous, rolled.loss.to_bits(), rolled.entropy.to_bits()),
                            (whole.anonymous, whole.loss.to_bits(), whole.entropy.to_bits()),
                            "case {case} {metric:?}: {node:?} rolled up from {spec_node:?}"
                        );
                    }
                }
            }
        }
        assert!(compared > 20, "too few nodes with both kept and suppressed classes: {compared}");
    }

    /// Totals computed elsewhere: here by a problem over the combinations, as a cluster
    /// would compute them from the rows. `fail_after` makes the n-th call fail.
    #[derive(Debug)]
    struct Elsewhere<'a> {
        p: Problem<'a>,
        calls: std::sync::atomic::AtomicUsize,
        fail_after: usize,
    }

    impl Totals for Elsewhere<'_> {
        fn node_totals(&self, node: &[u8]) -> Result<NodeTotals, String> {
            if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= self.fail_after {
                return Err("executor lost".into());
            }
            self.p.node_totals(node).map_err(|e| format!("{e:?}"))
        }
    }

    fn value_rows(gens: &[Generalisation], base: &Base) -> Vec<Vec<u64>> {
        (0..gens.len())
            .map(|j| {
                let mut v = vec![0u64; gens[j].values().len()];
                for r in 0..base.len() {
                    v[base.qi.get(j, r) as usize] += base.count[r];
                }
                v
            })
            .collect()
    }

    /// The search driven by totals reaches the search's decision over the combinations, every
    /// field of the evaluation bit for bit (and the same explanation when nothing passes), for
    /// every metric, with and without distinct l-diversity, weights and caps.
    #[test]
    fn a_search_from_totals_makes_the_same_decision() {
        let mut rng = Lcg(41);
        let (mut compared, mut none) = (0, 0);
        for case in 0..30 {
            let m = 2 + case % 2;
            let rows = 500 + rng.next(3000) as usize;
            let spec = HierarchySpec::Interval { widths: vec![2, 4, 8, 16, 32], range: None };
            let data: Vec<Vec<String>> = (0..m)
                .map(|_| {
                    let spread = 20 + rng.next(300);
                    (0..rows).map(|_| rng.next(spread).to_string()).collect()
                })
                .collect();
            let (gens, base) = problem_of(&spec, &data, &mut rng);
            let diversity = if case % 3 == 0 { vec![] } else { vec![(2, Diversity::Distinct)] };
            let criteria = Criteria {
                k: 2 + rng.next(8),
                max_suppressed: if case % 5 == 4 { 0 } else { rng.next(rows as u64 / 8) },
                diversity,
            };
            let weights: Vec<Option<f64>> = (0..m).map(|_| Some(0.5 + rng.next(4) as f64)).collect();
            let caps: Vec<Option<u8>> =
                (0..m).map(|_| if rng.next(3) == 0 { Some(1 + rng.next(3) as u8) } else { None }).collect();
            let p = Problem::new(&gens, &base, criteria.clone()).with_priorities(&weights, &caps);
            let elsewhere = Elsewhere {
                p: Problem::new(&gens, &base, criteria.clone()),
                calls: Default::default(),
                fail_after: usize::MAX,
            };
            let rows_of = value_rows(&gens, &base);
            let q = Problem::with_totals(&gens, &rows_of, criteria.clone(), &elsewhere)
                .unwrap()
                .with_priorities(&weights, &caps);
            assert_eq!(q.rows(), p.rows());
            // Every node's check from totals is the check over the combinations, field by field.
            let lat = Lattice::new(&p.cap).unwrap();
            let mut node = vec![0u8; m];
            for metric in [Metric::Discernibility, Metric::Loss, Metric::Entropy] {
                let (cp, cq) = (Ctx::new(&p, metric), Ctx::new(&q, metric));
                let mut sc = Scratch::default();
                let items = Items { rep: None, count: &base.count, sets: None };
                let none = Items { rep: None, count: &[], sets: None };
                let fields = |c: &Check| {
                    let (a, b) = (c.loss.to_bits(), c.entropy.to_bits());
                    (
                        c.mono,
                        c.anonymous,
                        c.suppressed,
                        c.classes,
                        c.discernibility,
                        a,
                        b,
                        c.mono_suppressed,
                        c.floor,
                    )
                };
                for i in 0..lat.size as u32 {
                    lat.decode(i, &mut node);
                    let (a, _) = cp.check_with(&node, items, &mut sc, None).unwrap();
                    let (b, _) = cq.check_with(&node, none, &mut sc, None).unwrap();
                    assert_eq!(fields(&a), fields(&b), "case {case} {metric:?} node {node:?}");
                }
            }
            // The report's figures of a node from its totals (a search on the rows) are those
            // from its classes: per-column loss and entropy, rows kept per label, accuracy.
            for i in 0..lat.size as u32 {
                lat.decode(i, &mut node);
                let t = q.node_totals(&node).unwrap();
                let (_, classes) = p.evaluate_full(&node).unwrap();
                let bits = |v: Vec<(f64, f64)>| -> Vec<(u64, u64)> {
                    v.into_iter().map(|(a, b)| (a.to_bits(), b.to_bits())).collect()
                };
                assert_eq!(
                    bits(q.attribute_metrics_of_totals(&node, &t)),
                    bits(p.attribute_metrics(&node, &classes)),
                    "case {case} node {node:?}"
                );
                let kept = q.kept_label_rows_of_totals(&node, &t);
                for (j, rows) in kept.iter().enumerate() {
                    let listed: FxHashMap<u32, u64> = (0..rows.len() as u32)
                        .filter(|&c| rows[c as usize] > 0)
                        .map(|c| (c, rows[c as usize]))
                        .collect();
                    assert_eq!(listed, classes.kept_label_rows[j], "case {case} node {node:?} column {j}");
                }
                let withheld: std::collections::HashSet<&[u32]> =
                    classes.suppressed_labels.iter().map(Vec::as_slice).collect();
                let flags: Vec<bool> = (0..base.len())
                    .map(|r| {
                        let tuple: Vec<u32> = (0..m)
                            .map(|j| gens[j].codes[node[j] as usize][base.qi.get(j, r) as usize])
                            .collect();
                        withheld.contains(tuple.as_slice())
                    })
                    .collect();
                let rec = crate::recoding::Recoding::uniform(&node, base.len(), flags);
                assert_eq!(
                    crate::accuracy::global_accuracy(&gens, &rows_of, &node, &kept, t.suppressed),
                    crate::accuracy::column_accuracy(&gens, &base, &rec),
                    "case {case} node {node:?}"
                );
            }
            for metric in [Metric::Discernibility, Metric::Loss, Metric::Entropy] {
                match (p.search(metric), q.search(metric)) {
                    (Ok((a, _)), Ok((b, stats))) => {
                        assert_eq!(a, b, "case {case} {metric:?}");
                        assert_eq!(a.loss.to_bits(), b.loss.to_bits());
                        assert_eq!(a.entropy.to_bits(), b.entropy.to_bits());
                        assert_eq!(stats.checked + stats.tagged + stats.pruned, stats.lattice_size);
                        assert_eq!(stats.rolled_up, 0);
                        compared += 1;
                    }
                    (Err(SearchError::NoSolution(a)), Err(SearchError::NoSolution(b))) => {
                        assert_eq!(a, b);
                        none += 1;
                    }
                    (a, b) => panic!("case {case} {metric:?}: over combinations {a:?}, from totals {b:?}"),
                }
            }
        }
        assert!(compared > 40 && none > 0, "compared {compared}, no solution {none}");
    }

    /// Fail closed: an error of the totals' engine, at any call, is the search's error (never
    /// a decision from the nodes checked before it); totals that cannot be the problem's are
    /// refused; and l-diversity that needs each class's values is refused up front.
    #[test]
    fn a_search_from_totals_fails_closed() {
        let mut rng = Lcg(43);
        let spec = HierarchySpec::Interval { widths: vec![2, 4, 8], range: None };
        let data: Vec<Vec<String>> =
            (0..2).map(|_| (0..800).map(|_| rng.next(40).to_string()).collect()).collect();
        let (gens, base) = problem_of(&spec, &data, &mut rng);
        let criteria = Criteria { k: 3, max_suppressed: 20, diversity: vec![(2, Diversity::Distinct)] };
        let rows_of = value_rows(&gens, &base);
        let calls = |fail_after| Elsewhere {
            p: Problem::new(&gens, &base, criteria.clone()),
            calls: Default::default(),
            fail_after,
        };
        let all = calls(usize::MAX);
        let q = Problem::with_totals(&gens, &rows_of, criteria.clone(), &all).unwrap();
        q.search(Metric::Loss).unwrap();
        let needed = all.calls.load(std::sync::atomic::Ordering::SeqCst);
        assert!(needed > 2);
        for fail_after in 0..needed {
            let o = calls(fail_after);
            let q = Problem::with_totals(&gens, &rows_of, criteria.clone(), &o).unwrap();
            match q.search(Metric::Loss) {
                Err(SearchError::Totals(m)) => assert!(m.contains("executor lost"), "{m}"),
                other => panic!("failing at call {fail_after}: {other:?}"),
            }
        }
        // Totals that do not fit the problem: each node's own totals, changed.
        #[derive(Debug)]
        struct Changed<'a> {
            p: Problem<'a>,
            change: fn(&mut NodeTotals),
        }
        impl Totals for Changed<'_> {
            fn node_totals(&self, node: &[u8]) -> Result<NodeTotals, String> {
                let mut t = self.p.node_totals(node).map_err(|e| format!("{e:?}"))?;
                (self.change)(&mut t);
                Ok(t)
            }
        }
        type Change = fn(&mut NodeTotals);
        let wrong: [(Change, &str); 7] = [
            (|t| _ = t.loss_units.pop(), "one entry per quasi-identifier"),
            (|t| t.l_distinct.clear(), "one entry per sensitive attribute"),
            (|t| t.suppressed_by_label[0].push((u32::MAX, 1)), "beyond the level's labels"),
            (
                |t| {
                    t.suppressed += 1;
                    t.kept = 0;
                },
                "do not add up",
            ),
            (|t| t.kept = u64::MAX, "more rows or classes"),
            (|t| t.min_kept = 1, "a kept class that does not meet the criteria"),
            (
                |t| {
                    if let Some(first) = t.suppressed_by_label[0].first_mut() {
                        first.1 += 100_000;
                    }
                },
                "more suppressed rows of a label",
            ),
        ];
        for (change, why) in wrong {
            let bad = Changed { p: Problem::new(&gens, &base, criteria.clone()), change };
            let q = Problem::with_totals(&gens, &rows_of, criteria.clone(), &bad).unwrap();
            match q.search(Metric::Loss) {
                Err(SearchError::Totals(m)) => assert!(m.contains(why), "{why}: {m}"),
                other => panic!("{why}: {other:?}"),
            }
        }
        // The suppressed rows by label in another order, a label split in two: accepted, and
        // the same evaluation.
        let shuffled = Changed {
            p: Problem::new(&gens, &base, criteria.clone()),
            change: |t| {
                for pairs in &mut t.suppressed_by_label {
                    pairs.reverse();
                    if let Some(&(lab, rows)) = pairs.first()
                        && rows > 1
                    {
                        pairs[0].1 = 1;
                        pairs.push((lab, rows - 1));
                    }
                }
            },
        };
        let q = Problem::with_totals(&gens, &rows_of, criteria.clone(), &shuffled).unwrap();
        let p = Problem::new(&gens, &base, criteria.clone());
        for node in [[0u8, 0], [1, 1], [2, 1], [3, 3]] {
            let (a, b) = (p.evaluate(&node).unwrap(), q.evaluate(&node).unwrap());
            assert_eq!((a.entropy.to_bits(), &a), (b.entropy.to_bits(), &b));
        }
        assert_eq!(p.search(Metric::Entropy).unwrap().0, q.search(Metric::Entropy).unwrap().0);
        assert!(matches!(q.evaluate_full(&[1, 1]), Err(SearchError::Totals(_))));
        assert!(matches!(q.class_sizes(&[0, 0]), Err(SearchError::Totals(_))));
        // Rows per value that do not give every column the same rows.
        let mut unequal = rows_of.clone();
        unequal[1][0] += 1;
        assert!(matches!(
            Problem::with_totals(&gens, &unequal, criteria.clone(), &all),
            Err(SearchError::Totals(_))
        ));
        for d in [Diversity::Entropy, Diversity::Recursive { c: 3.0 }] {
            let c = Criteria { diversity: vec![(2, d)], ..criteria.clone() };
            assert!(matches!(Problem::with_totals(&gens, &rows_of, c, &all), Err(SearchError::Totals(_))));
        }
        assert!(matches!(
            Problem::with_totals(&gens, &rows_of[..1], criteria.clone(), &all),
            Err(SearchError::Totals(_))
        ));
    }

    /// Every figure of two nodes' totals is compared: each change is named.
    #[test]
    fn totals_differences_are_named() {
        let (gens, base) = fixture();
        let p = Problem::new(
            &gens,
            &base,
            Criteria { k: 2, max_suppressed: 6, diversity: vec![(2, Diversity::Distinct)] },
        );
        let t = p.node_totals(&[0]).unwrap();
        assert_eq!(t.difference(6, &t.clone(), 6), None);
        assert_eq!(t.difference(6, &t.clone(), 5).unwrap(), "rows: 6 counted, 5 grouped from the rows");
        type Change = fn(&mut NodeTotals);
        let changes: [(Change, &str); 9] = [
            (|t| t.suppressed += 1, "suppressed rows"),
            (|t| t.kept += 1, "classes"),
            (|t| t.min_kept += 1, "smallest class"),
            (|t| t.sum_sq += 1, "sum of squared"),
            (|t| t.floor += 1, "size x max(k, size)"),
            (|t| t.loss_units[0] += 1, "loss units"),
            (|t| t.l_distinct[0] += 1, "fewest distinct"),
            (|t| t.suppressed_by_label[0].push((7, 1)), "suppressed rows by label of quasi-identifier 1"),
            (|t| t.l_entropy[0] = f64::from_bits(t.l_entropy[0].to_bits() + 1), "exp(entropy)"),
        ];
        for (change, what) in changes {
            let mut other = t.clone();
            change(&mut other);
            let d = t.difference(6, &other, 6).unwrap_or_default();
            assert!(d.contains(what), "{what}: {d}");
        }
    }

    #[test]
    fn no_solution_is_explained() {
        let (gens, base) = fixture();
        let p = Problem::new(
            &gens,
            &base,
            Criteria { k: 2, max_suppressed: 0, diversity: vec![(4, Diversity::Distinct)] },
        );
        match p.search(Metric::Loss) {
            Err(SearchError::NoSolution(m)) => assert!(m.contains("leaves 6 of 6 rows"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
