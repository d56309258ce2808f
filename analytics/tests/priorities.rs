//! Attribute priorities (issue 13, item 2): per quasi-identifier `max_level` restricts the lattice
//! and `weight` scales a column's share of `loss` and `entropy`. The pruned search is compared
//! with checking every node of the restricted lattice on a small synthetic data set.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::collections::BTreeMap;

use analytics::hierarchy::Generalisation;
use analytics::policy::{Diversity, HierarchySpec, Metric};
use analytics::search::{Base, Criteria, Problem, SearchError};

mod common;
use common::{Lcg, nodes_within};

/// age (bands of 5, 10, 20, then *), zip (masked from the right), sex (kept or *), and a
/// sensitive diagnosis.
fn data(rows: usize, seed: u64) -> (Vec<Generalisation>, Base) {
    let mut rng = Lcg(seed);
    let mut combos: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
    for _ in 0..rows {
        let age = (20 + rng.next(30) + rng.next(30)).to_string();
        let zip = format!("{}{}{}", 4 + rng.next(2), rng.next(3), rng.next(4));
        let sex = if rng.next(2) == 0 { "F" } else { "M" }.to_string();
        let diag = ["a", "b", "c", "d"][rng.next(4) as usize].to_string();
        *combos.entry((age, zip, sex, diag)).or_insert(0) += 1;
    }
    let specs = [
        ("age", HierarchySpec::Interval { widths: vec![5, 10, 20], range: Some((0, 150)) }),
        ("zip", HierarchySpec::Mask),
        ("sex", HierarchySpec::Suppress),
    ];
    let cols: [Vec<String>; 4] = [
        combos.keys().map(|k| k.0.clone()).collect(),
        combos.keys().map(|k| k.1.clone()).collect(),
        combos.keys().map(|k| k.2.clone()).collect(),
        combos.keys().map(|k| k.3.clone()).collect(),
    ];
    let gens: Vec<Generalisation> =
        specs.iter().enumerate().map(|(j, (c, s))| Generalisation::build(c, s, &cols[j]).unwrap()).collect();
    let qi: Vec<Vec<u32>> = (0..3)
        .map(|j| cols[j].iter().map(|v| gens[j].values().binary_search(v).unwrap() as u32).collect())
        .collect();
    let diags = ["a", "b", "c", "d"];
    let base = Base {
        qi: qi.into(),
        sensitive: vec![cols[3].iter().map(|v| diags.iter().position(|d| d == v).unwrap() as u32).collect()],
        sensitive_card: vec![4],
        count: combos.values().copied().collect(),
    };
    (gens, base)
}

#[test]
fn max_level_is_respected_and_the_result_is_optimal_within_the_limits() {
    let (gens, base) = data(400, 7);
    let heights: Vec<u8> = gens.iter().map(|g| g.height() as u8).collect();
    let mut solved = 0;
    for (k, limit, l) in [(3, 0, 0), (5, 8, 0), (10, 20, 2), (20, 40, 0)] {
        let diversity = if l > 0 { vec![(l, Diversity::Distinct)] } else { vec![] };
        for caps in [vec![1u8, heights[1], heights[2]], vec![2, 1, 1], vec![1, 2, 0], vec![0, heights[1], 1]]
        {
            let max_levels: Vec<Option<u8>> = caps.iter().map(|&c| Some(c)).collect();
            for weights in [vec![None, None, None], vec![Some(3.0), Some(1.0), Some(0.5)]] {
                let p = Problem::new(
                    &gens,
                    &base,
                    Criteria { k, max_suppressed: limit, diversity: diversity.clone() },
                )
                .with_priorities(&weights, &max_levels);
                assert_eq!(p.max_levels(), caps.as_slice());
                for metric in [Metric::Loss, Metric::Entropy, Metric::Discernibility] {
                    let mut min = f64::INFINITY;
                    for node in nodes_within(&caps) {
                        let e = p.evaluate(&node).unwrap();
                        if e.anonymous {
                            min = min.min(e.cost(metric));
                        }
                    }
                    match p.search(metric) {
                        Ok((best, stats)) => {
                            solved += 1;
                            assert!(
                                best.node.iter().zip(&caps).all(|(l, c)| l <= c),
                                "node {:?} beyond caps {caps:?}",
                                best.node
                            );
                            assert!(best.anonymous);
                            let got = best.cost(metric);
                            assert!(
                                (got - min).abs() <= min.abs() * 1e-9,
                                "k={k} caps {caps:?} {weights:?} {metric:?}: search {got}, exhaustive {min}"
                            );
                            assert_eq!(stats.lattice_size, nodes_within(&caps).len() as u64);
                            assert!(p.lower_bound(&best.node, metric) <= got * (1.0 + 1e-12));
                        }
                        Err(SearchError::NoSolution(m)) => {
                            assert!(min.is_infinite(), "search found nothing but {min} exists: {m}");
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }
        }
    }
    assert!(solved > 20, "only {solved} cases had a solution");
}

#[test]
fn default_weights_give_todays_values_exactly() {
    let (gens, base) = data(300, 3);
    let c = || Criteria { k: 4, max_suppressed: 6, diversity: vec![] };
    let plain = Problem::new(&gens, &base, c());
    for weights in [vec![None, None, None], vec![Some(1.0); 3], vec![Some(2.0); 3]] {
        let p = Problem::new(&gens, &base, c()).with_priorities(&weights, &[None, None, None]);
        assert_eq!(p.weights(), &[1.0, 1.0, 1.0]);
        for node in nodes_within(&[4, 3, 1]) {
            assert_eq!(plain.evaluate(&node).unwrap(), p.evaluate(&node).unwrap());
        }
        assert_eq!(plain.max_entropy(), p.max_entropy());
        for metric in [Metric::Loss, Metric::Entropy, Metric::Discernibility] {
            assert_eq!(plain.search(metric).unwrap().0, p.search(metric).unwrap().0);
        }
    }
}

#[test]
fn a_heavier_column_is_generalised_no_more() {
    let mut strictly = 0;
    for seed in 1..6 {
        let (gens, base) = data(400, seed);
        for (k, limit) in [(5, 4), (10, 8), (20, 0)] {
            let c = || Criteria { k, max_suppressed: limit, diversity: vec![] };
            for metric in [Metric::Loss, Metric::Entropy] {
                let plain = Problem::new(&gens, &base, c()).search(metric).unwrap().0;
                for j in 0..3 {
                    let mut weights = vec![Some(1.0); 3];
                    weights[j] = Some(10.0);
                    let heavy = Problem::new(&gens, &base, c())
                        .with_priorities(&weights, &[None, None, None])
                        .search(metric)
                        .unwrap()
                        .0;
                    assert!(
                        heavy.node[j] <= plain.node[j],
                        "seed {seed} k={k} {metric:?} weight 10 on {j}: {:?} vs {:?}",
                        heavy.node,
                        plain.node
                    );
                    if heavy.node[j] < plain.node[j] {
                        strictly += 1;
                    }
                }
            }
        }
    }
    eprintln!("{strictly} cases strictly finer");
    assert!(strictly > 0, "a weight of 10 never made a column finer");
}

#[test]
fn unmeetable_limits_name_the_column_and_the_level_to_allow() {
    let (gens, base) = data(400, 7);
    let c = || Criteria { k: 30, max_suppressed: 0, diversity: vec![] };
    // Without limits there is a release.
    assert!(Problem::new(&gens, &base, c()).search(Metric::Loss).is_ok());
    let mut single = 0;
    for (caps, names) in [
        (vec![Some(0), Some(0), None], "age at level <= 0, zip at level <= 0"),
        (vec![Some(1), None, None], "age at level <= 1:"),
        (vec![None, Some(1), Some(0)], "zip at level <= 1, sex at level <= 0:"),
    ] {
        let p = Problem::new(&gens, &base, c()).with_priorities(&[None; 3], &caps);
        let Err(SearchError::NoSolution(m)) = p.search(Metric::Loss) else {
            panic!("{caps:?}: expected no solution")
        };
        eprintln!("{m}");
        assert!(m.contains(names), "{m}");
        assert!(m.starts_with("no release meets k = 30 with "), "{m}");
        assert!(m.contains("; relax"), "{m}");
        // Every level the message offers gives a release (other caps kept), and one lower does not.
        let mut offered = 0;
        for (j, name) in [(0, "age"), (1, "zip"), (2, "sex")] {
            let Some(at) = m.find(&format!(" (or more) for {name}")) else { continue };
            let level: u8 = m[..at].rsplit(' ').next().unwrap().parse().unwrap();
            offered += 1;
            let mut relaxed = caps.clone();
            relaxed[j] = Some(level);
            let ok = |caps: &[Option<u8>]| {
                Problem::new(&gens, &base, c()).with_priorities(&[None; 3], caps).search(Metric::Loss).is_ok()
            };
            assert!(ok(&relaxed), "{m}");
            relaxed[j] = Some(level - 1);
            assert!(!ok(&relaxed), "{m}");
        }
        assert!(offered > 0 || m.contains("together"), "{m}");
        single += offered;
    }
    assert!(single > 0, "no message offered a single max_level to relax");
}
