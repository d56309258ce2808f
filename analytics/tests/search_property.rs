//! The optimal search against brute force: on many random small problems, `Problem::search`
//! returns the node that checking every node of the lattice with `evaluate` finds best (same
//! cost, same node under the documented tie-breaking), or no node when none meets the
//! criteria. Problems draw random hierarchies (the built-ins and synthesised ARX files, some
//! with labels the data never uses and several labels at the top), data, k, suppression
//! limits, every l-diversity variant, max levels and weights, for all three metrics.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use analytics::counts::Codes;
use analytics::hierarchy::Generalisation;
use analytics::policy::{Diversity, HierarchySpec, Metric};
use analytics::search::{Base, Criteria, Evaluation, Problem, SearchError};

mod common;
use common::{Lcg, nodes_within};

/// One quasi-identifier: its hierarchy and a pool of values to draw rows from.
struct Column {
    spec: HierarchySpec,
    pool: Vec<String>,
}

/// An ARX hierarchy file over `d` values `v0..`: each level groups the labels of the level
/// below at random; the top is `*` or (sometimes) several labels.
fn arx_file(rng: &mut Lcg, dir: &Path, name: &str, d: usize) -> PathBuf {
    let levels = 1 + rng.next(3) as usize;
    let mut rows: Vec<Vec<String>> = (0..d).map(|v| vec![format!("v{v}")]).collect();
    let mut groups: Vec<usize> = (0..d).collect(); // label index per value at the current level
    let mut count = d;
    for l in 1..=levels {
        let last = l == levels;
        let next = if last && rng.next(4) > 0 { 1 } else { (count / 2).max(1) + rng.next(2) as usize };
        let next = next.min(count);
        // Each label of the level below goes to a random group (every group used).
        let mut map: Vec<usize> =
            (0..count).map(|i| if i < next { i } else { rng.next(next as u64) as usize }).collect();
        for i in (1..map.len()).rev() {
            let j = rng.next(i as u64 + 1) as usize;
            map.swap(i, j);
        }
        for (v, row) in rows.iter_mut().enumerate() {
            groups[v] = map[groups[v]];
            row.push(if next == 1 { "*".to_string() } else { format!("L{l}g{}", groups[v]) });
        }
        count = next;
    }
    let path = dir.join(format!("{name}.csv"));
    let text: String = rows.iter().map(|r| r.join(";") + "\n").collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn column(rng: &mut Lcg, dir: &Path, name: &str) -> Column {
    match rng.next(6) {
        0 => {
            let n = 1 + rng.next(4) as usize;
            Column { spec: HierarchySpec::Suppress, pool: (0..n).map(|i| format!("s{i}")).collect() }
        }
        1 => {
            let w = 2 + rng.next(3);
            let widths = match rng.next(3) {
                0 => vec![w],
                1 => vec![w, 2 * w],
                _ => vec![w, 2 * w, 6 * w],
            };
            let lo = rng.next(20) as i64;
            let n = 2 + rng.next(12) as i64;
            Column {
                spec: HierarchySpec::Interval { widths, range: None },
                pool: (lo..lo + n).map(|v| v.to_string()).collect(),
            }
        }
        2 => {
            let len = 1 + rng.next(3) as usize;
            let n = 2 + rng.next(8) as usize;
            let pool = (0..n)
                .map(|_| {
                    let l = if rng.next(3) == 0 { 1 + rng.next(len as u64) as usize } else { len };
                    (0..l).map(|_| char::from(b'0' + rng.next(3) as u8)).collect()
                })
                .collect();
            Column { spec: HierarchySpec::Mask, pool }
        }
        3 => {
            let n = 2 + rng.next(8) as usize;
            let pool = (0..n)
                .map(|_| format!("20{:02}-{:02}-{:02}", 20 + rng.next(3), 1 + rng.next(3), 1 + rng.next(28)))
                .collect();
            Column { spec: HierarchySpec::Date, pool }
        }
        _ => {
            // Synthesised ARX file; the data uses some of its values only.
            let d = 2 + rng.next(14) as usize;
            let path = arx_file(rng, dir, name, d);
            let used = 1 + rng.next(d as u64) as usize;
            let mut pool: Vec<String> = (0..d).map(|v| format!("v{v}")).collect();
            for i in (1..pool.len()).rev() {
                let j = rng.next(i as u64 + 1) as usize;
                pool.swap(i, j);
            }
            pool.truncate(used);
            Column { spec: HierarchySpec::File(path), pool }
        }
    }
}

/// A random problem: hierarchies, base combinations and sensitive attributes.
struct Case {
    gens: Vec<Generalisation>,
    base: Base,
    rows: u64,
}

fn case(rng: &mut Lcg, dir: &Path, id: usize) -> Case {
    let m = 1 + rng.next(4) as usize;
    let cols: Vec<Column> = (0..m).map(|j| column(rng, dir, &format!("c{id}_{j}"))).collect();
    let sensitive = rng.next(3) as usize;
    let cards: Vec<u64> = (0..sensitive).map(|_| 1 + rng.next(5)).collect();
    let rows = 1 + rng.next(120);
    let mut combos: BTreeMap<(Vec<String>, Vec<u32>), u64> = BTreeMap::new();
    for _ in 0..rows {
        // Skewed draws: often the first few values of each pool.
        let qi: Vec<String> = cols
            .iter()
            .map(|c| {
                let n = c.pool.len() as u64;
                let i = if rng.next(2) == 0 { rng.next(n.min(2)) } else { rng.next(n) };
                c.pool[i as usize].clone()
            })
            .collect();
        let s: Vec<u32> = cards.iter().map(|&c| rng.next(c) as u32).collect();
        *combos.entry((qi, s)).or_insert(0) += 1;
    }
    let gens: Vec<Generalisation> = cols
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let values: Vec<String> = combos.keys().map(|k| k.0[j].clone()).collect();
            Generalisation::build(&format!("q{j}"), &c.spec, &values).unwrap()
        })
        .collect();
    let mut qi_codes: Vec<Vec<u32>> = vec![Vec::new(); m];
    let mut base = Base {
        sensitive: vec![Vec::new(); sensitive],
        sensitive_card: cards.iter().map(|&c| c as u32).collect(),
        count: Vec::new(),
        ..Base::default()
    };
    for ((qi, s), n) in combos {
        for (j, v) in qi.iter().enumerate() {
            qi_codes[j].push(gens[j].values().binary_search(v).unwrap() as u32);
        }
        for (i, &c) in s.iter().enumerate() {
            base.sensitive[i].push(c);
        }
        base.count.push(n);
    }
    // Every other case packed in words, as counting gives them; the rest a vector per column.
    base.qi = if id.is_multiple_of(2) { Codes::pack(qi_codes) } else { qi_codes.into() };
    Case { gens, base, rows }
}

/// The documented order: lower cost, then lower weighted total level, then lower total level,
/// then lexicographically smaller node.
fn better(a: &Evaluation, b: &Evaluation, metric: Metric, weight: &[f64]) -> bool {
    let (ca, cb) = (a.cost(metric), b.cost(metric));
    if metric == Metric::Discernibility {
        if a.discernibility != b.discernibility {
            return a.discernibility < b.discernibility;
        }
    } else if (ca - cb).abs() > ca.abs().max(cb.abs()) * 1e-12 {
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

#[test]
fn search_equals_brute_force_on_random_problems() {
    let dir = std::env::temp_dir().join(format!("ledgerless-search-property-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Lcg(0x5eed_0f5e_a4c4);
    let (mut solved, mut unsolvable, mut capped, mut diverse, mut largest) = (0, 0, 0, 0, 0);
    let mut packed = 0;
    let cases = 1500;
    for id in 0..cases {
        let c = case(&mut rng, &dir, id);
        packed += matches!(c.base.qi, Codes::Packed { .. }) as usize;
        let k = if rng.next(4) == 0 { 1 + rng.next(8) } else { 1 + rng.next(4) };
        let max_suppressed = match rng.next(4) {
            0 => 0,
            1 => c.rows,
            _ => rng.next(c.rows / 2 + 1),
        };
        let diversity: Vec<(u64, Diversity)> = (0..c.base.sensitive.len())
            .map(|s| {
                let card = c.base.sensitive_card[s] as u64;
                let l = if rng.next(3) == 0 { 3 } else { 1 + rng.next(2) }.min(card.max(1));
                let d = match rng.next(4) {
                    0 => Diversity::Distinct,
                    1 => Diversity::Entropy,
                    _ => Diversity::Recursive { c: rng.pick(&[0.5, 1.0, 2.0, 3.0]) },
                };
                (l, d)
            })
            .collect();
        diverse += !diversity.is_empty() as usize;
        let m = c.gens.len();
        let weights: Vec<Option<f64>> = (0..m)
            .map(|_| if rng.next(2) == 0 { None } else { Some(rng.pick(&[0.0, 0.5, 1.0, 2.0, 5.0])) })
            .collect();
        let max_levels: Vec<Option<u8>> = c
            .gens
            .iter()
            .map(|g| if rng.next(3) == 0 { Some(rng.next(g.height() as u64 + 1) as u8) } else { None })
            .collect();
        capped += max_levels.iter().any(Option::is_some) as usize;
        let p = Problem::new(&c.gens, &c.base, Criteria { k, max_suppressed, diversity: diversity.clone() })
            .with_priorities(&weights, &max_levels);
        let caps = p.max_levels().to_vec();
        let nodes = nodes_within(&caps);
        largest = largest.max(nodes.len());
        let all: Vec<Evaluation> = nodes.iter().map(|n| p.evaluate(n).unwrap()).collect();
        // The same combinations in the other form of codes (packed words or a vector per column).
        let other_qi = match &c.base.qi {
            Codes::Packed { .. } => Codes::Columns(c.base.qi.to_columns()),
            Codes::Columns(columns) => Codes::pack(columns.clone()),
        };
        let other_base = Base { qi: other_qi, ..c.base.clone() };
        let other =
            Problem::new(&c.gens, &other_base, Criteria { k, max_suppressed, diversity: diversity.clone() })
                .with_priorities(&weights, &max_levels);
        for metric in [Metric::Discernibility, Metric::Loss, Metric::Entropy] {
            let what = format!(
                "case {id} {metric:?}: k={k} limit={max_suppressed} of {} rows, diversity {diversity:?}, \
                 caps {caps:?}, weights {:?}",
                c.rows,
                p.weights()
            );
            let mut brute: Option<&Evaluation> = None;
            for e in all.iter().filter(|e| e.anonymous) {
                if brute.is_none_or(|b| better(e, b, metric, p.weights())) {
                    brute = Some(e);
                }
            }
            match (p.search(metric), brute) {
                (Ok((best, stats)), Some(b)) => {
                    solved += 1;
                    assert_eq!(best.node, b.node, "{what}: search {best:?}, brute force {b:?}");
                    assert_eq!(&best, b, "{what}");
                    assert_eq!(stats.lattice_size, nodes.len() as u64, "{what}");
                    assert_eq!(
                        stats.checked + stats.tagged + stats.pruned,
                        stats.lattice_size,
                        "{what}: {stats:?}"
                    );
                    // Deterministic: the same again.
                    let (again, stats2) = p.search(metric).unwrap();
                    assert_eq!(
                        (again.node, stats2.checked, stats2.pruned),
                        (best.node, stats.checked, stats.pruned)
                    );
                }
                (Err(SearchError::NoSolution(_)), None) => unsolvable += 1,
                (got, b) => panic!("{what}: search {got:?}, brute force {b:?}"),
            }
            let (a, b) = (p.search(metric), other.search(metric));
            match (&a, &b) {
                (Ok((x, _)), Ok((y, _))) => assert_eq!(x, y, "{what}: packed and column codes differ"),
                (Err(_), Err(_)) => {}
                _ => panic!("{what}: packed and column codes differ: {a:?} against {b:?}"),
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!(
        "{solved} solved, {unsolvable} without solution ({capped} capped cases, {diverse} with \
         l-diversity, {packed} with packed codes, largest lattice {largest} nodes)"
    );
    assert!(solved > 2 * cases && unsolvable > 50 && capped > 300 && diverse > 500);
    // Half the cases are packed (the rest compare against packed codes): both forms are exercised.
    assert_eq!(packed, cases / 2, "every even case's codes fit in 64 bits and come packed");
}
