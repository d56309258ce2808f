//! The optimal search reaches the exact optima of `tests/data/adult/OPTIMA.md` (full lattice
//! enumeration by an independent reference) on ARX's Adult data and hierarchies.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::path::{Path, PathBuf};

use analytics::counts::Codes;
use analytics::hierarchy::Generalisation;
use analytics::policy::{HierarchySpec, Metric};
use analytics::search::{Base, Criteria, Problem};

/// ARX's Adult data, `tests/data/adult/` in the repository (the path `tests::data` gives; this
/// crate does not depend on the `tests` crate). Missing data fails the test, naming the path.
fn adult_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/adult");
    assert!(
        dir.join("adult.csv").is_file(),
        "test data missing: {} (it is part of the repository)",
        dir.display()
    );
    dir
}

/// One row of an OPTIMA.md table.
struct Optimum {
    k: u64,
    limit: f64,
    anonymous_nodes: u64,
    dm: u128,
}

fn optima(text: &str) -> Vec<(Vec<String>, Vec<Optimum>)> {
    let mut sections = Vec::new();
    for block in text.split("\nqis: ").skip(1) {
        let qis: Vec<String> = block
            .lines()
            .next()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .split(", ")
            .map(str::to_string)
            .collect();
        let rows = block
            .lines()
            .filter(|l| l.starts_with("| ") && l.chars().nth(2).unwrap().is_ascii_digit())
            .map(|l| {
                let f: Vec<&str> = l.split('|').map(str::trim).collect();
                Optimum {
                    k: f[1].parse().unwrap(),
                    limit: f[2].parse().unwrap(),
                    anonymous_nodes: f[3].parse().unwrap(),
                    dm: f[4].parse().unwrap(),
                }
            })
            .collect();
        sections.push((qis, rows));
    }
    sections
}

fn problem_parts(dir: &Path, qis: &[String]) -> (Vec<Generalisation>, Base) {
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_path(dir.join("adult.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let idx: Vec<usize> = qis.iter().map(|q| header.iter().position(|h| h == q).unwrap()).collect();
    let records: Vec<Vec<String>> =
        reader.records().map(|r| idx.iter().map(|&i| r.as_ref().unwrap()[i].to_string()).collect()).collect();
    let mut gens = Vec::new();
    let mut codes: Vec<Vec<u32>> = Vec::new();
    for (j, q) in qis.iter().enumerate() {
        let values: Vec<String> = records.iter().map(|r| r[j].clone()).collect();
        let spec = HierarchySpec::File(dir.join(format!("adult_hierarchy_{q}.csv")));
        let g = Generalisation::build(q, &spec, &values).unwrap();
        codes.push(values.iter().map(|v| g.values().binary_search(v).unwrap() as u32).collect());
        gens.push(g);
    }
    // Distinct combinations with counts.
    let mut map: std::collections::BTreeMap<Vec<u32>, u64> = Default::default();
    for r in 0..records.len() {
        *map.entry(codes.iter().map(|c| c[r]).collect()).or_insert(0) += 1;
    }
    let mut qi: Vec<Vec<u32>> = vec![Vec::new(); qis.len()];
    let mut base = Base::default();
    for (key, n) in map {
        for (j, c) in key.into_iter().enumerate() {
            qi[j].push(c);
        }
        base.count.push(n);
    }
    // Packed in words, as counting gives them (the search reads both forms alike).
    base.qi = Codes::pack(qi);
    assert!(matches!(base.qi, Codes::Packed { .. }));
    (gens, base)
}

#[test]
fn search_reaches_published_optima() {
    let dir = adult_dir();
    let text = std::fs::read_to_string(dir.join("OPTIMA.md")).unwrap();
    let sections = optima(&text);
    assert_eq!(sections.len(), 2, "OPTIMA.md has two tables");
    let mut checked = 0;
    for (qis, rows) in sections {
        assert!(!rows.is_empty());
        let (gens, base) = problem_parts(&dir, &qis);
        let n: u64 = base.count.iter().sum();
        assert_eq!(n, 30_162);
        for o in rows {
            let criteria = Criteria {
                k: o.k,
                max_suppressed: (o.limit * n as f64 + 1e-9).floor() as u64,
                diversity: vec![],
            };
            let p = Problem::new(&gens, &base, criteria);
            let (best, stats) = p.search(Metric::Discernibility).unwrap();
            assert_eq!(
                best.discernibility, o.dm,
                "{qis:?} k={} limit={}: found {:?} with DM {}, optimum {}",
                o.k, o.limit, best.node, best.discernibility, o.dm
            );
            // Without pruning the walk checks every anonymous node exactly once.
            if stats.pruned == 0 {
                assert_eq!(stats.anonymous, o.anonymous_nodes, "{qis:?} k={} limit={}", o.k, o.limit);
            } else {
                assert!(stats.anonymous <= o.anonymous_nodes);
            }
            assert!(best.suppressed <= (o.limit * n as f64) as u64);
            assert!(best.min_class >= o.k);
            checked += 1;
        }
    }
    eprintln!("OPTIMA.md: {checked} optima reached");
}

/// For the other metrics, the pruned search agrees with checking every node of the lattice.
#[test]
fn pruned_search_equals_exhaustive_for_every_metric() {
    let dir = adult_dir();
    let qis: Vec<String> = ["age", "education", "marital-status", "race", "sex"].map(String::from).to_vec();
    let (gens, base) = problem_parts(&dir, &qis);
    let n: u64 = base.count.iter().sum();
    for (k, limit) in [(5, 0.0), (10, 0.01), (50, 0.05)] {
        let criteria = Criteria { k, max_suppressed: (limit * n as f64) as u64, diversity: vec![] };
        let p = Problem::new(&gens, &base, criteria);
        for metric in [Metric::Loss, Metric::Entropy, Metric::Discernibility] {
            let (best, _) = p.search(metric).unwrap();
            // Exhaustive: every node.
            let heights: Vec<u8> = gens.iter().map(|g| g.height() as u8).collect();
            let mut node = vec![0u8; heights.len()];
            let mut min = f64::INFINITY;
            loop {
                let e = p.evaluate(&node).unwrap();
                if e.anonymous {
                    min = min.min(e.cost(metric));
                }
                let mut j = 0;
                while j < node.len() && node[j] == heights[j] {
                    node[j] = 0;
                    j += 1;
                }
                if j == node.len() {
                    break;
                }
                node[j] += 1;
            }
            let got = best.cost(metric);
            assert!(
                (got - min).abs() <= min.abs() * 1e-9,
                "k={k} {metric:?}: search {got}, exhaustive {min}"
            );
            // And the bound never exceeds the true value.
            assert!(p.lower_bound(&best.node, metric) <= got * (1.0 + 1e-12));
        }
    }
}
