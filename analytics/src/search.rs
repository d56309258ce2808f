//! The optimal search: full-domain generalisation over the lattice of hierarchy levels.
//!
//! Works on the distinct combinations of quasi-identifier (and sensitive) codes with their row
//! counts, never on rows. The lattice is walked top-down, one height at a time: a node is checked
//! only if none of its direct generalisations failed (privacy is monotone: if a node fails, every
//! specialisation of it fails, so they are tagged without a check) and only if its metric lower
//! bound can still beat the best node found. The bound is the metric without suppression, which
//! never exceeds the metric with it and is computed per node from per-attribute tables (loss,
//! entropy) or from the number of possible classes (discernibility). Checks of one height run on
//! all cores. The result is exactly optimal: ties go to the lower total level, then to the
//! lexicographically smaller node.
//!
//! Attribute priorities ([`Problem::with_priorities`]): a per-column `max_level` restricts the
//! lattice to the nodes whose every level is at most that column's cap. The restricted lattice is
//! a down-set of the full one, so the direct generalisations used for tagging stay inside it and
//! the monotonicity argument (and the bounds) hold unchanged. Per-column weights scale each
//! column's share of `loss` and `entropy`; they are normalised to a mean of 1, so all-default
//! weights give exactly the unweighted values. Discernibility is not per column: for it (and for
//! every metric) weights only break ties, by the lower weighted total level.

use rustc_hash::FxHashMap;

use crate::hierarchy::Generalisation;
use crate::policy::{Diversity, Metric};

/// Distinct combinations of codes with their counts (the input of the search).
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// Per quasi-identifier, the level-0 code of each combination.
    pub qi: Vec<Vec<u32>>,
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
}

/// Why the search found nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchError {
    /// Not even the most general node meets the criteria.
    NoSolution(String),
    /// The lattice or the key space is too large.
    TooLarge(String),
}

/// The classes of a node: the class of each combination, rows and first combination of each class.
struct Grouping {
    class_of: Vec<u32>,
    size: Vec<u64>,
    first: Vec<u32>,
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
}

impl<'a> Problem<'a> {
    /// Prepares the per-attribute tables.
    pub fn new(gens: &'a [Generalisation], base: &'a Base, criteria: Criteria) -> Self {
        let rows: u64 = base.count.iter().sum();
        let mut freq = Vec::new();
        let mut gen_loss = Vec::new();
        let mut gen_entropy = Vec::new();
        for (j, g) in gens.iter().enumerate() {
            let mut value_rows = vec![0u64; g.values.len()];
            for (r, &c) in base.qi[j].iter().enumerate() {
                value_rows[c as usize] += base.count[r];
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
                        value_rows
                            .iter()
                            .enumerate()
                            .map(|(v, &n)| n as f64 * g.cell_loss(l, g.codes[l][v]))
                            .sum()
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
        Problem { gens, base, criteria, rows, freq, gen_loss, gen_entropy, weight, cap }
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
                let mut possible = self.base.len() as f64;
                let mut product = 1f64;
                for (j, &l) in node.iter().enumerate() {
                    product *= self.gens[j].labels[l as usize].len() as f64;
                }
                possible = possible.min(product).max(2.0);
                (self.rows as f64) * (self.rows as f64) / possible
            }
        }
    }

    fn key_multipliers(&self, node: &[u8]) -> Result<Vec<u128>, SearchError> {
        let mut mult = Vec::with_capacity(node.len());
        let mut m: u128 = 1;
        for (j, &l) in node.iter().enumerate() {
            mult.push(m);
            let card = self.gens[j].labels[l as usize].len() as u128;
            m = m.checked_mul(card.max(1)).ok_or_else(|| {
                SearchError::TooLarge(
                    "the quasi-identifiers have too many combinations of labels to index (over 2^128)".into(),
                )
            })?;
        }
        Ok(mult)
    }

    /// Groups combinations into the classes of `node`.
    fn group(&self, node: &[u8]) -> Result<Grouping, SearchError> {
        let mult = self.key_multipliers(node)?;
        let maps: Vec<&[u32]> =
            node.iter().enumerate().map(|(j, &l)| self.gens[j].codes[l as usize].as_slice()).collect();
        let n = self.base.len();
        let mut index: FxHashMap<u128, u32> = FxHashMap::default();
        let mut class_of = Vec::with_capacity(n);
        let mut size: Vec<u64> = Vec::new();
        let mut first: Vec<u32> = Vec::new();
        for r in 0..n {
            let mut key = 0u128;
            for j in 0..maps.len() {
                key += maps[j][self.base.qi[j][r] as usize] as u128 * mult[j];
            }
            let next = size.len() as u32;
            let c = *index.entry(key).or_insert(next);
            if c == next {
                size.push(0);
                first.push(r as u32);
            }
            size[c as usize] += self.base.count[r];
            class_of.push(c);
        }
        Ok(Grouping { class_of, size, first })
    }

    /// Which classes fail the criteria, with per-class achieved l (distinct, entropy).
    fn failing(&self, class_of: &[u32], size: &[u64]) -> (Vec<bool>, Vec<Vec<u64>>, Vec<Vec<f64>>) {
        let classes = size.len();
        let mut fail: Vec<bool> = size.iter().map(|&s| s < self.criteria.k).collect();
        let mut distinct_all = Vec::new();
        let mut entropy_all = Vec::new();
        for (s, &(l, diversity)) in self.criteria.diversity.iter().enumerate() {
            let card = self.base.sensitive_card[s].max(1) as u64;
            let mut pairs: FxHashMap<u64, u64> = FxHashMap::default();
            for (r, &c) in class_of.iter().enumerate() {
                *pairs.entry(c as u64 * card + self.base.sensitive[s][r] as u64).or_insert(0) +=
                    self.base.count[r];
            }
            let mut hist: Vec<(u32, u64)> =
                pairs.into_iter().map(|(key, n)| ((key / card) as u32, n)).collect();
            hist.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            let mut distinct = vec![0u64; classes];
            let mut entropy = vec![0f64; classes];
            let mut i = 0;
            while i < hist.len() {
                let c = hist[i].0;
                let mut j = i;
                while j < hist.len() && hist[j].0 == c {
                    j += 1;
                }
                let counts: Vec<u64> = hist[i..j].iter().map(|x| x.1).collect();
                let total = size[c as usize] as f64;
                let h: f64 = counts
                    .iter()
                    .map(|&n| {
                        let p = n as f64 / total;
                        -p * p.ln()
                    })
                    .sum();
                distinct[c as usize] = counts.len() as u64;
                entropy[c as usize] = h.exp();
                let ok = match diversity {
                    Diversity::Distinct => counts.len() as u64 >= l,
                    Diversity::Entropy => h >= (l as f64).ln() - 1e-12,
                    Diversity::Recursive { c: cc } => {
                        let tail: u64 = counts.iter().skip(l.saturating_sub(1) as usize).sum();
                        counts.len() as u64 >= l && (counts[0] as f64) < cc * tail as f64
                    }
                };
                if !ok {
                    fail[c as usize] = true;
                }
                i = j;
            }
            distinct_all.push(distinct);
            entropy_all.push(entropy);
        }
        (fail, distinct_all, entropy_all)
    }

    /// Checks one node: classes, suppression, privacy and every metric.
    pub fn evaluate(&self, node: &[u8]) -> Result<Evaluation, SearchError> {
        Ok(self.evaluate_full(node)?.0)
    }

    /// As [`Problem::evaluate`], also returning the classes.
    pub fn evaluate_full(&self, node: &[u8]) -> Result<(Evaluation, Classes), SearchError> {
        let Grouping { class_of, size, first } = self.group(node)?;
        let (fail, distinct, entropy_l) = self.failing(&class_of, &size);
        let n = self.rows;
        let m = self.gens.len();
        let mut suppressed = 0u64;
        let mut kept = 0u64;
        let mut min_class = 0u64;
        let mut sum_sq: u128 = 0;
        let mut kept_loss = 0f64;
        let mut suppressed_bits = 0f64;
        let mut classes = Classes { kept_label_rows: vec![FxHashMap::default(); m], ..Classes::default() };
        for c in 0..size.len() {
            let s = size[c];
            let r = first[c] as usize;
            let labels: Vec<u32> =
                (0..m).map(|j| self.gens[j].codes[node[j] as usize][self.base.qi[j][r] as usize]).collect();
            if fail[c] {
                suppressed += s;
                for (j, &lab) in labels.iter().enumerate() {
                    let f = self.freq[j][node[j] as usize][lab as usize] as f64;
                    suppressed_bits += self.weight[j] * (s as f64 * (n as f64 / f).log2());
                }
                classes.suppressed_labels.push(labels);
                classes.suppressed_sizes.push(s);
            } else {
                kept += 1;
                min_class = if min_class == 0 { s } else { min_class.min(s) };
                sum_sq += s as u128 * s as u128;
                for (j, &lab) in labels.iter().enumerate() {
                    kept_loss += self.weight[j] * (s as f64 * self.gens[j].cell_loss(node[j] as usize, lab));
                    *classes.kept_label_rows[j].entry(lab).or_insert(0) += s;
                }
                classes.kept_sizes.push(s);
            }
        }
        let gen_entropy: f64 =
            node.iter().enumerate().map(|(j, &l)| self.weight[j] * self.gen_entropy[j][l as usize]).sum();
        // Each suppressed row loses every column entirely: sum of weights (m when all are 1).
        let weight_sum: f64 = self.weight.iter().sum();
        let l_distinct = distinct
            .iter()
            .map(|d| (0..size.len()).filter(|&c| !fail[c]).map(|c| d[c]).min().unwrap_or(0))
            .collect();
        let l_entropy = entropy_l
            .iter()
            .map(|e| (0..size.len()).filter(|&c| !fail[c]).map(|c| e[c]).fold(f64::INFINITY, f64::min))
            .map(|v| if v.is_finite() { v } else { 0.0 })
            .collect();
        let eval = Evaluation {
            node: node.to_vec(),
            anonymous: suppressed <= self.criteria.max_suppressed && (kept > 0 || n == 0),
            suppressed,
            classes: kept,
            min_class,
            discernibility: sum_sq + suppressed as u128 * n as u128,
            loss: if n == 0 {
                0.0
            } else {
                (kept_loss + suppressed as f64 * weight_sum) / (n as f64 * m as f64)
            },
            entropy: gen_entropy + suppressed_bits,
            l_distinct,
            l_entropy,
        };
        Ok((eval, classes))
    }

    /// Per quasi-identifier (loss share 0..1, entropy bits) of a chosen node and its classes.
    pub fn attribute_metrics(&self, node: &[u8], classes: &Classes) -> Vec<(f64, f64)> {
        let n = self.rows as f64;
        (0..self.gens.len())
            .map(|j| {
                let l = node[j] as usize;
                let kept: f64 = classes.kept_label_rows[j]
                    .iter()
                    .map(|(&lab, &rows)| rows as f64 * self.gens[j].cell_loss(l, lab))
                    .sum();
                let supp: u64 = classes.suppressed_sizes.iter().sum();
                let bits: f64 = classes
                    .suppressed_labels
                    .iter()
                    .zip(&classes.suppressed_sizes)
                    .map(|(labels, &s)| s as f64 * (n / self.freq[j][l][labels[j] as usize] as f64).log2())
                    .sum();
                let loss = if n > 0.0 { (kept + supp as f64) / n } else { 0.0 };
                (loss, self.gen_entropy[j][l] + bits)
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
    pub fn search(&self, metric: Metric) -> Result<(Evaluation, SearchStats), SearchError> {
        // The lattice restricted to the caps: a down-set, so every direct generalisation used
        // for tagging below is itself a candidate and failures still propagate soundly.
        let heights: Vec<usize> = self.cap.iter().map(|&c| c as usize).collect();
        let radix: Vec<u64> = heights.iter().map(|&h| h as u64 + 1).collect();
        let mut size: u64 = 1;
        for &r in &radix {
            size = size.checked_mul(r).filter(|&s| s <= 50_000_000).ok_or_else(|| {
                SearchError::TooLarge(format!(
                    "the lattice has more than 50,000,000 nodes (heights {heights:?}); use fewer \
                     quasi-identifiers or shallower hierarchies"
                ))
            })?;
        }
        let decode = |mut i: u64| -> Vec<u8> {
            radix
                .iter()
                .map(|&r| {
                    let l = (i % r) as u8;
                    i /= r;
                    l
                })
                .collect()
        };
        let encode = |node: &[u8]| -> u64 {
            let mut i = 0u64;
            for j in (0..node.len()).rev() {
                i = i * radix[j] + node[j] as u64;
            }
            i
        };
        // Nodes grouped by height (sum of levels), each group in index order.
        let max_height: usize = heights.iter().sum();
        let mut by_height: Vec<Vec<u64>> = vec![Vec::new(); max_height + 1];
        for i in 0..size {
            let h: usize = decode(i).iter().map(|&l| l as usize).sum();
            by_height[h].push(i);
        }
        const UNKNOWN: u8 = 0;
        const PASS: u8 = 1;
        const FAIL: u8 = 2;
        let mut status = vec![UNKNOWN; size as usize];
        let mut stats = SearchStats { lattice_size: size, ..SearchStats::default() };
        let mut best: Option<Evaluation> = None;
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        for h in (0..=max_height).rev() {
            let mut todo = Vec::new();
            for &i in &by_height[h] {
                let node = decode(i);
                let failed_above = (0..node.len()).any(|j| {
                    if node[j] as usize >= heights[j] {
                        return false;
                    }
                    let mut up = node.clone();
                    up[j] += 1;
                    status[encode(&up) as usize] == FAIL
                });
                if failed_above {
                    status[i as usize] = FAIL;
                    stats.tagged += 1;
                    continue;
                }
                if let Some(b) = &best {
                    let bound = self.lower_bound(&node, metric);
                    let bc = b.cost(metric);
                    if bound > bc + bc.abs() * 1e-12 {
                        stats.pruned += 1;
                        continue;
                    }
                }
                todo.push(node);
            }
            let results = self.evaluate_many(&todo, threads)?;
            for e in results {
                stats.checked += 1;
                let i = encode(&e.node) as usize;
                if !e.anonymous {
                    status[i] = FAIL;
                    continue;
                }
                status[i] = PASS;
                stats.anonymous += 1;
                if best.as_ref().is_none_or(|b| better(&e, b, metric, &self.weight)) {
                    best = Some(e);
                }
            }
        }
        match best {
            Some(b) => Ok((b, stats)),
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

    fn evaluate_many(&self, nodes: &[Vec<u8>], threads: usize) -> Result<Vec<Evaluation>, SearchError> {
        if threads <= 1 || nodes.len() <= 1 {
            return nodes.iter().map(|n| self.evaluate(n)).collect();
        }
        let chunks: Vec<Result<Vec<(usize, Evaluation)>, SearchError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        (t..nodes.len())
                            .step_by(threads)
                            .map(|i| self.evaluate(&nodes[i]).map(|e| (i, e)))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| Err(SearchError::TooLarge("a search thread panicked".into())))
                })
                .collect()
        });
        let mut all = Vec::with_capacity(nodes.len());
        for c in chunks {
            all.extend(c?);
        }
        all.sort_by_key(|(i, _)| *i);
        Ok(all.into_iter().map(|(_, e)| e).collect())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HierarchySpec;

    /// One quasi-identifier (a, b → *), one sensitive attribute; class a holds x, x, y and
    /// class b holds x, y, z (one row each).
    fn fixture() -> (Vec<Generalisation>, Base) {
        let g = Generalisation::build("q", &HierarchySpec::Suppress, &["a".into(), "b".into()]).unwrap();
        let base = Base {
            qi: vec![vec![0, 0, 1, 1, 1]],
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
