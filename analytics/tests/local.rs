//! Local recoding (issue 13, item 1), checked independently on many random small problems with
//! random valid hierarchies (built-in and ARX files): every released cell is a label of that
//! row's value at a level within the column's max level; every class of equal released labels
//! meets k and the l-diversity variant; suppression stays within the limit; the policy's metric
//! is never worse than the global optimum's; the result is the same on every run.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::collections::BTreeMap;

use analytics::counts::Codes;
use analytics::hierarchy::Generalisation;
use analytics::local;
use analytics::policy::{Diversity, HierarchySpec, Metric};
use analytics::search::{Base, Criteria, Problem, SearchError};

mod common;
use common::Lcg;

/// A random ARX hierarchy file over `values`: level 1 groups values at random, level 2 groups
/// level-1 labels at random, then `*`; some labels deliberately read like values of other levels.
fn arx_file(dir: &std::path::Path, name: &str, values: &[String], rng: &mut Lcg) -> HierarchySpec {
    let groups = 1 + rng.next(values.len() as u64 / 2 + 1);
    let supers = 1 + rng.next(groups);
    let up: Vec<u64> = (0..groups).map(|_| rng.next(supers)).collect();
    let mut text = String::new();
    for v in values {
        let g = rng.next(groups);
        // Label "v0" at level 1 collides with the value "v0" at level 0 now and then.
        let l1 = if g == 0 && rng.next(3) == 0 { "v0".to_string() } else { format!("g{g}") };
        text.push_str(&format!("{v};{l1};h{};*\n", up[g as usize]));
    }
    // g0 may have been written both as "g0" and "v0": keep one label per group so that level 2
    // stays a function of level 1 (the hierarchy is valid by construction).
    let text = text.replace(";g0;", ";v0;");
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, text).unwrap();
    HierarchySpec::File(path)
}

struct Case {
    gens: Vec<Generalisation>,
    base: Base,
    criteria: Criteria,
    metric: Metric,
    weights: Vec<Option<f64>>,
    caps: Vec<Option<u8>>,
}

fn case(seed: u64, dir: &std::path::Path) -> Case {
    let mut rng = Lcg(seed);
    let rows = 20 + rng.next(280) as usize;
    let m = 2 + rng.next(3) as usize;
    let card: Vec<u64> = (0..m).map(|_| 2 + rng.next(12)).collect();
    let mut combos: BTreeMap<(Vec<String>, u32), u64> = BTreeMap::new();
    for _ in 0..rows {
        let qi: Vec<String> = card
            .iter()
            .enumerate()
            .map(|(j, &c)| {
                // Skewed values: low codes are common, as in real data.
                let v = rng.next(c).min(rng.next(c));
                if j == 0 { (20 + v * 3).to_string() } else { format!("v{v}") }
            })
            .collect();
        let s = rng.next(4) as u32;
        *combos.entry((qi, s)).or_insert(0) += 1;
    }
    let mut gens = Vec::new();
    for j in 0..m {
        let mut values: Vec<String> = combos.keys().map(|k| k.0[j].clone()).collect();
        values.sort();
        values.dedup();
        let spec = if j == 0 {
            let w = 2 + rng.next(4);
            HierarchySpec::Interval { widths: vec![w, w * 2, w * 4], range: Some((0, 200)) }
        } else {
            match rng.next(3) {
                0 => HierarchySpec::Suppress,
                1 => HierarchySpec::Mask,
                _ => arx_file(dir, &format!("h{seed}-{j}"), &values, &mut rng),
            }
        };
        gens.push(Generalisation::build(&format!("q{j}"), &spec, &values).unwrap());
    }
    let qi: Vec<Vec<u32>> = (0..m)
        .map(|j| combos.keys().map(|k| gens[j].values().binary_search(&k.0[j]).unwrap() as u32).collect())
        .collect();
    // Packed in words, as counting gives them.
    let qi = Codes::pack(qi);
    assert!(matches!(qi, Codes::Packed { .. }), "a few small columns fit in 64 bits");
    let base = Base {
        qi,
        sensitive: vec![combos.keys().map(|k| k.1).collect()],
        sensitive_card: vec![4],
        count: combos.values().copied().collect(),
    };
    let diversity = match rng.next(4) {
        0 => vec![],
        1 => vec![(2, Diversity::Distinct)],
        2 => vec![(2, Diversity::Entropy)],
        _ => vec![(2, Diversity::Recursive { c: 3.0 })],
    };
    let limit = [0.0, 0.02, 0.1, 0.3][rng.next(4) as usize];
    let criteria =
        Criteria { k: 2 + rng.next(5), max_suppressed: (limit * rows as f64).floor() as u64, diversity };
    let metric = [Metric::Discernibility, Metric::Loss, Metric::Entropy][rng.next(3) as usize];
    let weights =
        (0..m).map(|_| if rng.next(2) == 0 { None } else { Some(rng.next(4) as f64 + 0.5) }).collect();
    let caps = gens
        .iter()
        .map(|g| if rng.next(3) == 0 { Some(1 + rng.next(g.height() as u64) as u8) } else { None })
        .collect();
    Case { gens, base, criteria, metric, weights, caps }
}

/// Whether a class's sensitive counts meet the criterion (written out again, independently).
fn diverse(counts: &BTreeMap<u32, u64>, l: u64, d: Diversity) -> bool {
    let mut c: Vec<u64> = counts.values().copied().collect();
    c.sort_unstable_by(|a, b| b.cmp(a));
    let n: u64 = c.iter().sum();
    match d {
        Diversity::Distinct => c.len() as u64 >= l,
        Diversity::Entropy => {
            let h: f64 = c.iter().map(|&x| x as f64 / n as f64).map(|p| -p * p.ln()).sum();
            h >= (l as f64).ln() - 1e-12
        }
        Diversity::Recursive { c: cc } => {
            c.len() as u64 >= l && (c[0] as f64) < cc * c.iter().skip(l as usize - 1).sum::<u64>() as f64
        }
    }
}

#[test]
fn local_releases_are_truthful_private_within_limits_and_never_worse_than_global() {
    let dir = std::env::temp_dir().join(format!("ledgerless-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut checked, mut better) = (0, 0);
    for seed in 0..300u64 {
        let c = case(seed, &dir);
        let p = Problem::new(&c.gens, &c.base, c.criteria.clone()).with_priorities(&c.weights, &c.caps);
        let global = match p.search(c.metric) {
            Ok((g, _)) => g,
            Err(SearchError::NoSolution(_)) => continue,
            Err(e) => panic!("seed {seed}: {e:?}"),
        };
        let l = local::recode(&p, c.metric, &global).unwrap();
        let again = local::recode(&p, c.metric, &global).unwrap();
        assert_eq!(l.recoding, again.recoding, "seed {seed}: not deterministic");
        let rec = &l.recoding;
        // Rows with equal quasi-identifier values (differing only in the sensitive value) are
        // released alike: the writer releases each combination of values once.
        let mut decision: BTreeMap<Vec<u32>, (bool, Vec<u8>)> = BTreeMap::new();
        for i in 0..c.base.len() {
            let values: Vec<u32> = (0..c.gens.len()).map(|j| c.base.qi.get(j, i)).collect();
            let levels =
                if rec.suppressed[i] { vec![] } else { rec.levels.iter().map(|col| col[i]).collect() };
            let d = decision.entry(values).or_insert_with(|| (rec.suppressed[i], levels.clone()));
            assert_eq!(*d, (rec.suppressed[i], levels), "seed {seed}: equal values released differently");
        }
        // Released strings, classes by equal strings, suppression.
        let mut classes: BTreeMap<Vec<String>, BTreeMap<u32, u64>> = BTreeMap::new();
        let mut suppressed = 0u64;
        for i in 0..c.base.len() {
            let n = c.base.count[i];
            if rec.suppressed[i] {
                suppressed += n;
                continue;
            }
            let labels: Vec<String> = (0..c.gens.len())
                .map(|j| {
                    let g = &c.gens[j];
                    let lv = rec.levels[j][i] as usize;
                    let cap = c.caps[j].map_or(g.height(), |x| x as usize);
                    assert!(lv <= cap, "seed {seed}: column {j} at level {lv} above its max level {cap}");
                    let v = c.base.qi.get(j, i) as usize;
                    g.labels[lv][g.codes[lv][v] as usize].to_string()
                })
                .collect();
            *classes.entry(labels).or_default().entry(c.base.sensitive[0][i]).or_insert(0) += n;
        }
        assert!(suppressed <= c.criteria.max_suppressed, "seed {seed}: {suppressed} suppressed");
        for (labels, counts) in &classes {
            let size: u64 = counts.values().sum();
            assert!(size >= c.criteria.k, "seed {seed}: class {labels:?} has {size} < k = {}", c.criteria.k);
            for &(lv, d) in &c.criteria.diversity {
                assert!(diverse(counts, lv, d), "seed {seed}: class {labels:?} {counts:?} fails {d:?}");
            }
        }
        // The figures are those of the classes above, and no worse than the global optimum.
        let rows: u64 = c.base.count.iter().sum();
        let dm: u128 = classes.values().map(|s| s.values().sum::<u64>() as u128).map(|s| s * s).sum::<u128>()
            + suppressed as u128 * rows as u128;
        assert_eq!(l.evaluation.discernibility, dm, "seed {seed}");
        assert_eq!(l.evaluation.suppressed, suppressed, "seed {seed}");
        assert!(l.evaluation.anonymous, "seed {seed}");
        let (lc, gc) = (l.evaluation.cost(c.metric), global.cost(c.metric));
        assert!(
            lc <= gc + gc.abs() * 1e-9,
            "seed {seed}: local {lc} worse than global {gc} ({:?})",
            c.metric
        );
        checked += 1;
        if lc < gc - gc.abs() * 1e-9 {
            better += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{checked} problems checked; local strictly better than global on {better}");
    assert!(checked >= 150, "only {checked} of 300 random problems had a solution");
    assert!(better * 2 >= checked, "local recoding improved on global in only {better} of {checked}");
}
