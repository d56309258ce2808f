//! Local recoding: each combination of quasi-identifier values may be released at its own levels.
//!
//! Top-down specialisation over the hierarchies (design record 0010). Each class (rows that
//! share their labels at the class's levels) is refined one column and one level at a time: its
//! rows are split by their labels one level down; parts that meet k and every l-diversity
//! criterion become classes of their own at the finer level; the parts that do not form a
//! remainder that keeps the coarser label, and if the remainder fails too, either the smallest
//! valid parts rejoin it until it passes (merge-back) or it is set aside and refined again with
//! the other rows set aside, round after round (pooling). Of the possible splits of a class the
//! one with the largest gain in information is taken, until no split moves a row to a finer
//! level. Several starts are tried (the global optimum's classes; the most general node the
//! caps allow, with or without the combinations that pass on their own kept exact) and the best
//! by the policy's metric is released.
//!
//! Why it is safe and never worse than global (design record 0010):
//! - every class produced meets k and l (checked when it is formed), suppression stays within
//!   the limit (a start node's failing classes and, when pooling, a pool's failing classes, only
//!   while the total fits), and every cell is a label of that row's value;
//! - a split never raises any metric (discernibility: a partition's squares sum to at most the
//!   whole's square; loss and entropy: a finer label covers fewer values and rows), so a result
//!   started from the global optimum is at most the global optimum's metric;
//! - the released classes are the rows with *equal label strings*, which is what anyone recounting
//!   the file sees; [`evaluate_recoding`] measures exactly that, and the result is compared with
//!   the global release on those exact figures, keeping the global one if it were better.

use rustc_hash::FxHashMap;

use crate::policy::{Diversity, Metric};
use crate::recoding::Recoding;
use crate::search::{Evaluation, Problem, SearchError};

/// Which candidate the chosen local release is (see [`recode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Start {
    /// Combinations meeting the criteria on their own were kept exact first.
    pub exact_first: bool,
    /// Refinement started from the global optimum's classes (else from the most general node).
    pub from_optimum: bool,
    /// Failing remainders were pooled and refined again (else merged back).
    pub pooling: bool,
}

/// A local release: the recoding with its exact figures.
#[derive(Debug, Clone)]
pub struct Local {
    /// The level of every combination's quasi-identifiers, or suppression.
    pub recoding: Recoding,
    /// Exact figures of the release, classes being rows with equal released labels; `node` is
    /// the start node.
    pub evaluation: Evaluation,
    /// The candidate that produced it; `None` when none beat the global release itself.
    pub start: Option<Start>,
    /// Sizes of the released classes (rows with equal labels), in first-seen order.
    pub class_sizes: Vec<u64>,
}

/// One class during the refinement: its levels and its combinations (indices into the base).
#[derive(Clone)]
struct Class {
    levels: Vec<u8>,
    items: Vec<u32>,
}

/// Gains of a split in each metric (all >= 0: a split never makes any metric worse).
#[derive(Debug, Clone, Copy, Default)]
struct Gain {
    discernibility: i128,
    loss: f64,
    entropy: f64,
}

impl Gain {
    /// (primary, secondary) for comparing splits under `metric`.
    fn key(&self, metric: Metric) -> (f64, f64) {
        match metric {
            Metric::Discernibility => (self.discernibility as f64, self.loss),
            Metric::Loss => (self.loss, self.discernibility as f64),
            Metric::Entropy => (self.entropy, self.discernibility as f64),
        }
    }
}

/// A chosen split: the column, the finer classes and the remainder (which keeps the levels).
struct Split {
    column: usize,
    gain: Gain,
    parts: Vec<Vec<u32>>,
    remainder: Vec<u32>,
    /// The remainder fails on its own and is set aside for a later round.
    pooled: bool,
}

/// Checks k and l-diversity of sets of combinations, reusing its buffers.
struct Checker<'p, 'a> {
    p: &'p Problem<'a>,
    hist: Vec<Vec<u64>>,
    touched: Vec<u32>,
    counts: Vec<u64>,
}

impl<'p, 'a> Checker<'p, 'a> {
    fn new(p: &'p Problem<'a>) -> Self {
        let hist = p.base.sensitive_card.iter().map(|&c| vec![0u64; c as usize]).collect();
        Checker { p, hist, touched: Vec::new(), counts: Vec::new() }
    }

    fn size(&self, items: &[u32]) -> u64 {
        items.iter().map(|&i| self.p.base.count[i as usize]).sum()
    }

    /// Whether the union of `groups` (of `size` rows) meets k and every l-diversity criterion.
    fn valid(&mut self, groups: &[&[u32]], size: u64) -> bool {
        if size < self.p.criteria.k {
            return false;
        }
        for (s, &(l, diversity)) in self.p.criteria.diversity.iter().enumerate() {
            let codes = &self.p.base.sensitive[s];
            self.touched.clear();
            for g in groups {
                for &i in *g {
                    let c = codes[i as usize];
                    if self.hist[s][c as usize] == 0 {
                        self.touched.push(c);
                    }
                    self.hist[s][c as usize] += self.p.base.count[i as usize];
                }
            }
            self.counts.clear();
            for &c in &self.touched {
                self.counts.push(std::mem::take(&mut self.hist[s][c as usize]));
            }
            if !diverse(&mut self.counts, size, l, diversity) {
                return false;
            }
        }
        true
    }
}

/// The entropy (nats) of a class of `size` rows with these sensitive counts.
fn class_entropy(counts: &[u64], size: u64) -> f64 {
    let total = size as f64;
    counts
        .iter()
        .map(|&n| {
            let p = n as f64 / total;
            -p * p.ln()
        })
        .sum()
}

/// Whether a class of `size` rows with these (non-zero) sensitive counts is l-diverse; the same
/// rules as the global search.
fn diverse(counts: &mut [u64], size: u64, l: u64, diversity: Diversity) -> bool {
    match diversity {
        Diversity::Distinct => counts.len() as u64 >= l,
        Diversity::Entropy => class_entropy(counts, size) >= (l as f64).ln() - 1e-12,
        Diversity::Recursive { c } => {
            counts.sort_unstable_by(|a, b| b.cmp(a));
            let tail: u64 = counts.iter().skip(l.saturating_sub(1) as usize).sum();
            counts.len() as u64 >= l && (counts[0] as f64) < c * tail as f64
        }
    }
}

/// The best local recoding for `problem` under `metric`, given the global optimum `global`.
///
/// Candidates, each checked exactly and the best kept (the global release itself included):
/// the global optimum's classes refined; and, from the most general node the caps allow, every
/// row refined, or first the combinations that meet the criteria on their own released as they
/// are and the rest refined — each with failing remainders pooled and refined again, or merged back.
pub fn recode(problem: &Problem, metric: Metric, global: &Evaluation) -> Result<Local, SearchError> {
    // RAYON_NUM_THREADS, as for polars' pool, lets tests run many threads on a small machine.
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    // Splits are picked by their gain in information (generalisation intensity, or entropy when
    // that is the metric): discernibility alone would split age into single years and leave
    // small columns such as sex at `*`. The metric then picks among the candidates.
    let greedy = if metric == Metric::Entropy { Metric::Entropy } else { Metric::Loss };
    let run = Run { p: problem, greedy, threads };
    let all: Vec<u32> = (0..problem.base.len() as u32).collect();
    let (_, global_suppressed) = run.start(&global.node, all.clone(), 0).ok_or_else(|| {
        SearchError::TooLarge("internal: the global optimum exceeds the suppression limit".into())
    })?;
    let global_rec = Recoding::uniform(&global.node, problem.base.len(), flags(problem, &global_suppressed));
    let (global_eval, sizes) = measure(problem, &global_rec, &global.node);
    // The global release itself: a candidate must beat it to be chosen.
    let mut best = Local { recoding: global_rec, evaluation: global_eval, start: None, class_sizes: sizes };
    let mut consider = |classes: Vec<Class>, suppressed: Vec<u32>, start: Start| {
        let rec = to_recoding(problem, &classes, &suppressed);
        if starred_class_beside_suppression(problem, &rec) {
            return;
        }
        let (eval, sizes) = measure(problem, &rec, &global.node);
        if eval.anonymous && beats(&eval, &best.evaluation, metric) {
            best = Local { recoding: rec, evaluation: eval, start: Some(start), class_sizes: sizes };
        }
    };
    // The candidates: the global optimum's classes refined (failing remainders merged back);
    // and from the most general node the caps allow, all rows, or the combinations that meet
    // the criteria on their own kept exact and the rest refined, failing remainders merged back
    // or pooled.
    let cap = problem.cap.clone();
    let (exact, rest) = run.exact_first(&all);
    let mut jobs =
        vec![(global.node.clone(), Start { exact_first: false, from_optimum: true, pooling: false })];
    for exact_first in [false, true] {
        if exact_first && exact.is_empty() {
            continue;
        }
        for pooling in [false, true] {
            jobs.push((cap.clone(), Start { exact_first, from_optimum: false, pooling }));
        }
    }
    let job = |run: &Run, node: &[u8], start: Start| -> Result<Option<Placed>, SearchError> {
        let items = if start.exact_first { rest.clone() } else { all.clone() };
        let placed = run.pooled(node, items, start.pooling)?;
        Ok(placed.map(|(mut classes, suppressed)| {
            if start.exact_first {
                classes.extend(exact.iter().cloned());
            }
            (classes, suppressed)
        }))
    };
    // Small problems refine the candidates side by side (one thread each, as far as cores go);
    // large ones one after another on all cores, so memory holds one candidate at a time. Each
    // candidate's result depends only on the candidate, and they are weighed in a fixed order.
    let results: Vec<Result<Option<Placed>, SearchError>> = if problem.base.len() < 1_000_000 && threads > 1 {
        let single = Run { p: problem, greedy, threads: 1 };
        std::thread::scope(|s| {
            let handles: Vec<_> =
                jobs.iter().map(|(node, start)| s.spawn(|| job(&single, node, *start))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(SearchError::TooLarge("a local recoding thread panicked".into()))
                    })
                })
                .collect()
        })
    } else {
        jobs.iter().map(|(node, start)| job(&run, node, *start)).collect()
    };
    for ((_, start), result) in jobs.iter().zip(results) {
        if let Some((classes, suppressed)) = result? {
            consider(classes, suppressed, *start);
        }
    }
    Ok(best)
}

/// Whether `a` is strictly better than `b` on the metric (then on loss, then discernibility).
fn beats(a: &Evaluation, b: &Evaluation, metric: Metric) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= x.abs().max(y.abs()) * 1e-12;
    let (ca, cb) = (a.cost(metric), b.cost(metric));
    if metric == Metric::Discernibility {
        if a.discernibility != b.discernibility {
            return a.discernibility < b.discernibility;
        }
    } else if !close(ca, cb) {
        return ca < cb;
    }
    if !close(a.loss, b.loss) {
        return a.loss < b.loss;
    }
    a.discernibility < b.discernibility
}

/// Final classes and the combinations suppressed.
type Placed = (Vec<Class>, Vec<u32>);

/// One refinement job: the problem, the metric and the threads to use.
struct Run<'p, 'a> {
    p: &'p Problem<'a>,
    /// The metric whose gain picks each split.
    greedy: Metric,
    threads: usize,
}

impl<'p, 'a> Run<'p, 'a> {
    /// `items` grouped by their labels at `node`: the groups that meet the criteria and the
    /// combinations of those that do not (to suppress); `None` if those rows, with `used`
    /// already suppressed, exceed the limit.
    fn start(&self, node: &[u8], items: Vec<u32>, used: u64) -> Option<(Vec<Class>, Vec<u32>)> {
        let mut checker = Checker::new(self.p);
        let mut classes = Vec::new();
        let mut suppressed = Vec::new();
        let mut rows = used;
        for g in group_at(self.p, node, &items) {
            let size = checker.size(&g);
            if checker.valid(&[&g], size) {
                classes.push(Class { levels: node.to_vec(), items: g });
            } else {
                rows += size;
                suppressed.extend(g);
            }
        }
        if rows > self.p.criteria.max_suppressed {
            return None;
        }
        suppressed.sort_unstable();
        Some((classes, suppressed))
    }

    /// The combinations whose rows meet the criteria on their own at level 0 (classes of their
    /// own), and the others.
    fn exact_first(&self, items: &[u32]) -> (Vec<Class>, Vec<u32>) {
        let zero = vec![0u8; self.p.gens.len()];
        let mut checker = Checker::new(self.p);
        let mut exact = Vec::new();
        let mut rest = Vec::new();
        for g in group_at(self.p, &zero, items) {
            let size = checker.size(&g);
            if checker.valid(&[&g], size) {
                exact.push(Class { levels: zero.clone(), items: g });
            } else {
                rest.extend(g);
            }
        }
        rest.sort_unstable();
        (exact, rest)
    }

    /// Refines `items` from `node`. Without pooling, a split's failing remainder takes back
    /// valid parts until it passes. With pooling, the failing remainder is set aside instead,
    /// and the rows set aside across the whole data are refined together again from `node`,
    /// round after round, each round's classes that fail at `node` suppressed within the limit;
    /// when a pool's failing classes would exceed the limit, that round is redone without
    /// pooling.
    fn pooled(&self, node: &[u8], items: Vec<u32>, pooling: bool) -> Result<Option<Placed>, SearchError> {
        let used = |s: &[u32]| -> u64 { s.iter().map(|&i| self.p.base.count[i as usize]).sum() };
        let Some((start, mut suppressed)) = self.start(node, items, 0) else { return Ok(None) };
        let mut done = Vec::new();
        let mut round = start;
        loop {
            let (classes, pool) = self.refine_all(round.clone(), pooling)?;
            if pool.is_empty() {
                done.extend(classes);
                return Ok(Some((done, suppressed)));
            }
            let pool_rows = used(&pool);
            let before: u64 = round.iter().map(|c| used(&c.items)).sum();
            // The pool's classes that fail at `node` are suppressed, within the limit.
            if pool_rows < before
                && let Some((next, s)) = self.start(node, pool.clone(), used(&suppressed))
            {
                done.extend(classes);
                suppressed.extend(s);
                suppressed.sort_unstable();
                round = next;
                continue;
            }
            // The pool cannot stand on its own (its failing classes would exceed the limit):
            // this round is redone with failing remainders merged back, which places every row.
            let (plain, _) = self.refine_all(round, false)?;
            done.extend(plain);
            return Ok(Some((done, suppressed)));
        }
    }

    /// Refines every class; returns the final classes and the rows pooled. Big classes are split
    /// sequentially until there is enough work to share, then classes are refined on all
    /// threads. The result does not depend on the thread count: each class's refinement
    /// depends only on that class, and the outputs are put in a fixed order.
    fn refine_all(&self, classes: Vec<Class>, pooling: bool) -> Result<(Vec<Class>, Vec<u32>), SearchError> {
        let mut checker = Checker::new(self.p);
        let mut done = Vec::new();
        let mut pool = Vec::new();
        let mut queue = classes;
        // Breadth-first while there are few classes (the most general start has one).
        while self.threads > 1 && queue.len() < self.threads * 8 && !queue.is_empty() {
            let mut next = Vec::new();
            let mut progressed = false;
            for c in queue {
                match self.best_split(&c, &mut checker, pooling) {
                    Some(s) => {
                        progressed = true;
                        push_split(&c, s, &mut next, &mut pool);
                    }
                    None => done.push(c),
                }
            }
            queue = next;
            if !progressed {
                break;
            }
        }
        if self.threads <= 1 || queue.len() <= 1 {
            for c in queue {
                self.refine(c, &mut checker, pooling, &mut done, &mut pool);
            }
            pool.sort_unstable();
            return Ok((done, pool));
        }
        let queue = std::sync::Mutex::new(queue.into_iter().enumerate().collect::<Vec<_>>());
        type Done = Vec<(usize, Vec<Class>, Vec<u32>)>;
        let results: Vec<Option<Done>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..self.threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut checker = Checker::new(self.p);
                        let mut mine = Vec::new();
                        loop {
                            let job = queue.lock().ok().and_then(|mut q| q.pop());
                            let Some((i, c)) = job else { break };
                            let (mut out, mut pooled) = (Vec::new(), Vec::new());
                            self.refine(c, &mut checker, pooling, &mut out, &mut pooled);
                            mine.push((i, out, pooled));
                        }
                        mine
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
        let mut all = Vec::new();
        for r in results {
            all.extend(r.ok_or_else(|| SearchError::TooLarge("a local recoding thread panicked".into()))?);
        }
        all.sort_by_key(|(i, _, _)| *i);
        for (_, out, pooled) in all {
            done.extend(out);
            pool.extend(pooled);
        }
        pool.sort_unstable();
        Ok((done, pool))
    }

    /// Refines one class to the end (depth first), appending the final classes to `out` and
    /// rows set aside to `pool`.
    fn refine(
        &self,
        class: Class,
        checker: &mut Checker,
        pooling: bool,
        out: &mut Vec<Class>,
        pool: &mut Vec<u32>,
    ) {
        let mut stack = vec![class];
        while let Some(c) = stack.pop() {
            match self.best_split(&c, checker, pooling) {
                Some(s) => push_split(&c, s, &mut stack, pool),
                None => out.push(c),
            }
        }
    }

    /// The split of `c` with the largest gain, if any split moves rows to a finer level.
    fn best_split(&self, c: &Class, checker: &mut Checker, pooling: bool) -> Option<Split> {
        let mut best: Option<Split> = None;
        for j in 0..c.levels.len() {
            if c.levels[j] == 0 {
                continue;
            }
            let Some(s) = split_on(self.p, c, j, checker, pooling) else { continue };
            let better = match &best {
                None => true,
                Some(b) => {
                    let (a1, a2) = s.gain.key(self.greedy);
                    let (b1, b2) = b.gain.key(self.greedy);
                    let tol = |x: f64, y: f64| x.abs().max(y.abs()) * 1e-12;
                    if (a1 - b1).abs() > tol(a1, b1) {
                        a1 > b1
                    } else if (a2 - b2).abs() > tol(a2, b2) {
                        a2 > b2
                    } else {
                        self.p.weight[j] > self.p.weight[b.column]
                    }
                }
            };
            if better {
                best = Some(s);
            }
        }
        best
    }
}

/// `items` grouped by their labels at `node`, in order of first appearance.
fn group_at(p: &Problem, node: &[u8], items: &[u32]) -> Vec<Vec<u32>> {
    let m = node.len();
    let mut keys: Vec<u32> = Vec::with_capacity(items.len() * m);
    for &i in items {
        for (j, &l) in node.iter().enumerate() {
            keys.push(p.gens[j].codes[l as usize][p.base.qi.get(j, i as usize) as usize]);
        }
    }
    let mut index: FxHashMap<&[u32], u32> = FxHashMap::default();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for (x, &i) in items.iter().enumerate() {
        let key = &keys[x * m..(x + 1) * m];
        let next = groups.len() as u32;
        let c = *index.entry(key).or_insert(next);
        if c == next {
            groups.push(Vec::new());
        }
        groups[c as usize].push(i);
    }
    groups
}

fn push_split(c: &Class, s: Split, into: &mut Vec<Class>, pool: &mut Vec<u32>) {
    let mut finer = c.levels.clone();
    finer[s.column] -= 1;
    if s.pooled {
        pool.extend(s.remainder);
    } else if !s.remainder.is_empty() {
        into.push(Class { levels: c.levels.clone(), items: s.remainder });
    }
    for part in s.parts {
        into.push(Class { levels: finer.clone(), items: part });
    }
}

/// Splits `c` on column `j` one level down, or `None` if no part can stand on its own. A
/// failing remainder is pooled (`pooling`) or takes back the smallest valid parts until it passes.
fn split_on(p: &Problem, c: &Class, j: usize, checker: &mut Checker, pooling: bool) -> Option<Split> {
    let level = c.levels[j] as usize;
    let g = &p.gens[j];
    let finer = &g.codes[level - 1];
    let coarse = &g.codes[level];
    let qi = p.base.qi.column(j);
    let mut keyed: Vec<(u32, u32)> =
        c.items.iter().map(|&i| (finer[qi.at(i as usize) as usize], i)).collect();
    keyed.sort_unstable();
    // Parts: runs of equal finer label.
    let mut parts: Vec<(u32, Vec<u32>, u64)> = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let label = keyed[start].0;
        let mut end = start;
        while end < keyed.len() && keyed[end].0 == label {
            end += 1;
        }
        let items: Vec<u32> = keyed[start..end].iter().map(|x| x.1).collect();
        let size = checker.size(&items);
        parts.push((label, items, size));
        start = end;
    }
    let mut valid = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    for (x, part) in parts.iter().enumerate() {
        if checker.valid(&[&part.1], part.2) {
            valid.push(x);
        } else {
            rest.push(x);
        }
    }
    if valid.is_empty() {
        return None;
    }
    let mut pooled = false;
    if !rest.is_empty() {
        let mut size: u64 = rest.iter().map(|&x| parts[x].2).sum();
        let groups: Vec<&[u32]> = rest.iter().map(|&x| parts[x].1.as_slice()).collect();
        if !checker.valid(&groups, size) {
            if pooling {
                pooled = true;
            } else {
                // The remainder must pass too: add the smallest valid parts to it until it does.
                valid.sort_by_key(|&x| (parts[x].2, parts[x].0));
                loop {
                    if valid.is_empty() {
                        return None;
                    }
                    let x = valid.remove(0);
                    size += parts[x].2;
                    rest.push(x);
                    let groups: Vec<&[u32]> = rest.iter().map(|&x| parts[x].1.as_slice()).collect();
                    if checker.valid(&groups, size) {
                        break;
                    }
                }
                if valid.is_empty() {
                    return None;
                }
            }
        }
    }
    let total = checker.size(&c.items);
    let coarse_label = coarse[qi.at(c.items[0] as usize) as usize];
    let w = p.weight[j];
    let mut gain = Gain::default();
    let rem_size: u64 = rest.iter().map(|&x| parts[x].2).sum();
    let mut squares: i128 = rem_size as i128 * rem_size as i128;
    for &x in &valid {
        let (label, _, size) = &parts[x];
        squares += *size as i128 * *size as i128;
        let s = *size as f64;
        gain.loss += w * s * (g.cell_loss(level, coarse_label) - g.cell_loss(level - 1, *label));
        gain.entropy += w
            * s
            * ((p.freq[j][level][coarse_label as usize] as f64).log2()
                - (p.freq[j][level - 1][*label as usize] as f64).log2());
    }
    gain.discernibility = total as i128 * total as i128 - squares;
    valid.sort_unstable_by_key(|&x| parts[x].0);
    let mut remainder: Vec<u32> = rest.iter().flat_map(|&x| parts[x].1.iter().copied()).collect();
    remainder.sort_unstable();
    let mut taken: Vec<Option<Vec<u32>>> = parts.into_iter().map(|p| Some(p.1)).collect();
    let parts = valid.iter().filter_map(|&x| taken[x].take()).collect();
    Some(Split { column: j, gain, parts, remainder, pooled })
}

/// Per combination: whether it is in `suppressed`.
fn flags(p: &Problem, suppressed: &[u32]) -> Vec<bool> {
    let mut flags = vec![false; p.base.len()];
    for &i in suppressed {
        flags[i as usize] = true;
    }
    flags
}

fn to_recoding(p: &Problem, classes: &[Class], suppressed: &[u32]) -> Recoding {
    let n = p.base.len();
    let m = p.gens.len();
    let mut levels = vec![vec![0u8; n]; m];
    for c in classes {
        for &i in &c.items {
            for (column, &l) in levels.iter_mut().zip(&c.levels) {
                column[i as usize] = l;
            }
        }
    }
    Recoding { levels, suppressed: flags(p, suppressed) }
}

/// Exact figures of a recoding as released: classes are the kept rows with equal label
/// *strings* (labels of different levels that read the same are one class), suppressed rows are
/// withheld. `anonymous` is true when every class meets k and l and suppression is within the
/// limit. `node` is copied into the result.
pub fn evaluate_recoding(p: &Problem, rec: &Recoding, node: &[u8]) -> Evaluation {
    measure(p, rec, node).0
}

/// Whether a recoding keeps a class whose every label reads `*` while also withholding rows: in
/// the file the two are indistinguishable (every quasi-identifier `*`), so a recount sees one
/// group where the figures see a class and suppressed rows. Such candidates are not released.
fn starred_class_beside_suppression(p: &Problem, rec: &Recoding) -> bool {
    let n = p.base.len();
    if !(0..n).any(|i| rec.suppressed[i]) {
        return false;
    }
    (0..n).any(|i| {
        !rec.suppressed[i]
            && p.gens.iter().enumerate().all(|(j, g)| {
                let l = rec.levels[j][i] as usize;
                &g.labels[l][g.codes[l][p.base.qi.get(j, i) as usize] as usize] == "*"
            })
    })
}

/// [`evaluate_recoding`] with the sizes of the released classes.
fn measure(p: &Problem, rec: &Recoding, node: &[u8]) -> (Evaluation, Vec<u64>) {
    let m = p.gens.len();
    let n = p.base.len();
    // Label strings interned per column, across levels.
    let ids: Vec<Vec<Vec<u32>>> = p
        .gens
        .iter()
        .map(|g| {
            let mut intern: FxHashMap<&str, u32> = FxHashMap::default();
            g.labels
                .iter()
                .map(|level| {
                    level
                        .iter()
                        .map(|s| {
                            let next = intern.len() as u32;
                            *intern.entry(s).or_insert(next)
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let label = |j: usize, i: usize| -> (usize, u32) {
        let l = rec.levels[j][i] as usize;
        (l, p.gens[j].codes[l][p.base.qi.get(j, i) as usize])
    };
    let mut keys: Vec<u32> = Vec::with_capacity(n * m);
    for i in 0..n {
        for (j, column) in ids.iter().enumerate() {
            let (l, lab) = label(j, i);
            keys.push(column[l][lab as usize]);
        }
    }
    let mut index: FxHashMap<&[u32], u32> = FxHashMap::default();
    let mut class_of = vec![u32::MAX; n];
    let mut size: Vec<u64> = Vec::new();
    let rows = p.rows;
    let mut suppressed = 0u64;
    let mut loss = 0f64;
    let mut entropy = 0f64;
    let weight_sum: f64 = p.weight.iter().sum();
    for i in 0..n {
        let count = p.base.count[i];
        if rec.suppressed[i] {
            suppressed += count;
            loss += count as f64 * weight_sum;
            for j in 0..m {
                let f0 = p.freq[j][0][p.base.qi.get(j, i) as usize] as f64;
                entropy += p.weight[j] * count as f64 * (rows as f64 / f0).log2();
            }
            continue;
        }
        for j in 0..m {
            let (l, lab) = label(j, i);
            loss += p.weight[j] * count as f64 * p.gens[j].cell_loss(l, lab);
            let f0 = p.freq[j][0][p.base.qi.get(j, i) as usize] as f64;
            entropy += p.weight[j] * count as f64 * (p.freq[j][l][lab as usize] as f64 / f0).log2();
        }
        let key = &keys[i * m..(i + 1) * m];
        let next = size.len() as u32;
        let c = *index.entry(key).or_insert(next);
        if c == next {
            size.push(0);
        }
        size[c as usize] += count;
        class_of[i] = c;
    }
    drop(index);
    let classes = size.len();
    let mut ok = size.iter().all(|&s| s >= p.criteria.k);
    let mut l_distinct = Vec::new();
    let mut l_entropy = Vec::new();
    for (s, &(l, diversity)) in p.criteria.diversity.iter().enumerate() {
        let card = p.base.sensitive_card[s].max(1) as u64;
        let mut pairs: FxHashMap<u64, u64> = FxHashMap::default();
        for (i, &c) in class_of.iter().enumerate() {
            if c != u32::MAX {
                *pairs.entry(c as u64 * card + p.base.sensitive[s][i] as u64).or_insert(0) += p.base.count[i];
            }
        }
        let mut hist: Vec<(u32, u64)> = pairs.into_iter().map(|(key, c)| ((key / card) as u32, c)).collect();
        hist.sort_unstable();
        let mut min_distinct = u64::MAX;
        let mut min_entropy = f64::INFINITY;
        let mut a = 0;
        while a < hist.len() {
            let c = hist[a].0;
            let mut b = a;
            while b < hist.len() && hist[b].0 == c {
                b += 1;
            }
            let mut counts: Vec<u64> = hist[a..b].iter().map(|x| x.1).collect();
            min_distinct = min_distinct.min(counts.len() as u64);
            min_entropy = min_entropy.min(class_entropy(&counts, size[c as usize]).exp());
            ok &= diverse(&mut counts, size[c as usize], l, diversity);
            a = b;
        }
        l_distinct.push(if classes == 0 { 0 } else { min_distinct });
        l_entropy.push(if min_entropy.is_finite() { min_entropy } else { 0.0 });
    }
    let sum_sq: u128 = size.iter().map(|&s| s as u128 * s as u128).sum();
    let evaluation = Evaluation {
        node: node.to_vec(),
        anonymous: ok && suppressed <= p.criteria.max_suppressed && (classes > 0 || rows == 0),
        suppressed,
        classes: classes as u64,
        min_class: size.iter().copied().min().unwrap_or(0),
        discernibility: sum_sq + suppressed as u128 * rows as u128,
        loss: if rows == 0 { 0.0 } else { loss / (rows as f64 * m as f64) },
        entropy,
        l_distinct,
        l_entropy,
    };
    (evaluation, size)
}

/// Per quasi-identifier (loss share 0..1, entropy bits) of a recoding, unweighted, as
/// [`Problem::attribute_metrics`] gives them for a global release.
pub fn attribute_metrics(p: &Problem, rec: &Recoding) -> Vec<(f64, f64)> {
    let n = p.rows as f64;
    (0..p.gens.len())
        .map(|j| {
            let (mut loss, mut bits) = (0f64, 0f64);
            for i in 0..p.base.len() {
                let count = p.base.count[i] as f64;
                let v = p.base.qi.get(j, i) as usize;
                let f0 = p.freq[j][0][v] as f64;
                if rec.suppressed[i] {
                    loss += count;
                    bits += count * (n / f0).log2();
                } else {
                    let l = rec.levels[j][i] as usize;
                    let lab = p.gens[j].codes[l][v];
                    loss += count * p.gens[j].cell_loss(l, lab);
                    bits += count * (p.freq[j][l][lab as usize] as f64 / f0).log2();
                }
            }
            (if n > 0.0 { loss / n } else { 0.0 }, bits)
        })
        .collect()
}
