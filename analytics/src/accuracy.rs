//! How useful a release is per column: how many rows are released at each level, and how far
//! off the counts an analyst would compute from it are.
//!
//! Works on the distinct combinations ([`Base`]) and a [`Recoding`], so the same figures describe
//! global (full-domain) and local releases and can be compared between them. Linear in
//! combinations × quasi-identifiers, plus the hierarchies' sizes; every sum runs in code order,
//! so the figures are deterministic.

use crate::hierarchy::Generalisation;
use crate::recoding::Recoding;
use crate::search::Base;

/// Level-1 labels with fewer true rows than this are left out of [`ColumnAccuracy::count_error`]
/// (the relative error of a tiny count says little).
pub const MIN_TRUE_ROWS: u64 = 20;

/// The accuracy of one quasi-identifier in a release.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnAccuracy {
    /// Rows released at each level `0..=height` (suppressed rows not included).
    pub rows_by_level: Vec<u64>,
    /// Rows suppressed (every quasi-identifier `*`).
    pub suppressed: u64,
    /// Share of all rows (suppressed ones included) released at a level below the top; a
    /// suppressed row counts as not finer. 0 when there are no rows.
    pub finer_than_top: f64,
    /// Mean absolute relative error of the counts by level-1 label estimated from the release,
    /// over the labels with at least [`MIN_TRUE_ROWS`] true rows (see [`column_accuracy`]);
    /// `None` when no label has that many rows or the hierarchy has no level 1.
    pub count_error: Option<f64>,
    /// How many level-1 labels `count_error` averages over.
    pub count_error_labels: u64,
}

/// Per quasi-identifier (in `gens` order), the accuracy of the release `rec` of `base`.
///
/// **Count error.** An analyst counts rows by a column's level-1 labels (say 5-year age bands)
/// from the release. The *true* count of a level-1 label is the number of rows whose original
/// (level-0) value has that label. The *estimate* adds up every released cell of the column:
/// - a cell at level 0 adds its row to its own level-1 label (as does a cell at level 1);
/// - a cell at level `l >= 1` spreads its row evenly over the level-1 labels it covers: the
///   level-1 labels of the observed values (values with at least one row in `base`) whose
///   level-`l` label is the cell's label, each getting `1 / (number of such labels)`;
/// - a suppressed row (`*` in every quasi-identifier) spreads evenly over all level-1 labels of
///   observed values.
///
/// `count_error` is the mean, over the level-1 labels with at least [`MIN_TRUE_ROWS`] true rows,
/// of `|estimate - true| / true`; `count_error_labels` is how many labels that is. A release at
/// level 0 or 1 everywhere has error 0; a release at a single-label top level (or everything
/// suppressed) has the error of spreading all rows uniformly over the observed level-1 labels.
///
/// Each hierarchy level must be a function of the one below (as [`Generalisation::build`]
/// ensures), so each level-1 label lies under exactly one label of every higher level.
///
/// Levels in `rec` above a hierarchy's top are read as the top. Runs in
/// O(combinations × quasi-identifiers + values × height).
pub fn column_accuracy(gens: &[Generalisation], base: &Base, rec: &Recoding) -> Vec<ColumnAccuracy> {
    let n = base.len();
    debug_assert_eq!(rec.suppressed.len(), n, "one suppression flag per combination");
    let total: u64 = base.count.iter().sum();
    gens.iter()
        .enumerate()
        .map(|(j, g)| {
            debug_assert_eq!(rec.levels[j].len(), n, "one level per combination");
            let height = g.height();
            let mut rows_by_level = vec![0u64; height + 1];
            let mut suppressed = 0u64;
            // Rows released with each label of each level (level 0's labels are the values).
            let mut at_label: Vec<Vec<u64>> = g.labels.iter().map(|l| vec![0u64; l.len()]).collect();
            let mut value_rows = vec![0u64; g.values().len()];
            let codes = &g.codes;
            let col = base.qi.column(j);
            for (i, (&rows, &supp)) in base.count.iter().zip(&rec.suppressed).enumerate() {
                let v = col.at(i) as usize;
                value_rows[v] += rows;
                if supp {
                    suppressed += rows;
                    continue;
                }
                let l = (rec.levels[j][i] as usize).min(height);
                rows_by_level[l] += rows;
                at_label[l][codes[l][v] as usize] += rows;
            }
            finish(g, total, rows_by_level, suppressed, &value_rows, &at_label)
        })
        .collect()
}

/// [`column_accuracy`] of a global (full-domain) release at `node`, from each column's rows
/// per value (`value_rows[j]`, in code order), its rows kept per label of the node's level
/// (`kept_label_rows[j]`) and the rows suppressed: the same figures, bit for bit, for a search
/// from totals, whose combinations are not in memory.
pub fn global_accuracy(
    gens: &[Generalisation],
    value_rows: &[Vec<u64>],
    node: &[u8],
    kept_label_rows: &[Vec<u64>],
    suppressed: u64,
) -> Vec<ColumnAccuracy> {
    gens.iter()
        .enumerate()
        .map(|(j, g)| {
            let height = g.height();
            let total: u64 = value_rows[j].iter().sum();
            let l = (node[j] as usize).min(height);
            let mut at_label: Vec<Vec<u64>> = g.labels.iter().map(|l| vec![0u64; l.len()]).collect();
            at_label[l].clone_from(&kept_label_rows[j]);
            let mut rows_by_level = vec![0u64; height + 1];
            rows_by_level[l] = kept_label_rows[j].iter().sum();
            finish(g, total, rows_by_level, suppressed, &value_rows[j], &at_label)
        })
        .collect()
}

/// A column's accuracy from its rows released per level and per label of each level.
fn finish(
    g: &Generalisation,
    total: u64,
    rows_by_level: Vec<u64>,
    suppressed: u64,
    value_rows: &[u64],
    at_label: &[Vec<u64>],
) -> ColumnAccuracy {
    let height = g.height();
    let finer: u64 = rows_by_level[..height].iter().sum();
    let finer_than_top = if total > 0 { finer as f64 / total as f64 } else { 0.0 };
    let (count_error, count_error_labels) =
        if height >= 1 { count_error(g, value_rows, at_label, suppressed) } else { (None, 0) };
    ColumnAccuracy { rows_by_level, suppressed, finer_than_top, count_error, count_error_labels }
}

/// The count error of one column (height >= 1): `value_rows[v]` true rows per value,
/// `at_label[l][c]` rows released with label `c` at level `l` (`at_label[0]` by value).
fn count_error(
    g: &Generalisation,
    value_rows: &[u64],
    at_label: &[Vec<u64>],
    suppressed: u64,
) -> (Option<f64>, u64) {
    let height = g.height();
    let l1 = &g.codes[1];
    let n1 = g.labels[1].len();
    // True rows per level-1 label and one observed value under each (the first in code order).
    let mut truth = vec![0u64; n1];
    let mut rep: Vec<Option<usize>> = vec![None; n1];
    // Rows that land exactly on a level-1 label (cells at level 0 or 1).
    let mut exact = vec![0u64; n1];
    for (v, &rows) in value_rows.iter().enumerate() {
        let a = l1[v] as usize;
        exact[a] += at_label[0][v];
        if rows == 0 {
            continue;
        }
        truth[a] += rows;
        rep[a].get_or_insert(v);
    }
    for (a, &rows) in at_label[1].iter().enumerate() {
        exact[a] += rows;
    }
    let observed = rep.iter().filter(|r| r.is_some()).count();
    if observed == 0 {
        return (None, 0);
    }
    // covers[l][c]: observed level-1 labels under label `c` of level `l` (l >= 2).
    let mut covers: Vec<Vec<u64>> = vec![Vec::new(); height + 1];
    for l in 2..=height {
        covers[l] = vec![0u64; g.labels[l].len()];
        for &v in rep.iter().flatten() {
            covers[l][g.codes[l][v] as usize] += 1;
        }
    }
    let spread_supp = suppressed as f64 / observed as f64;
    let mut sum = 0f64;
    let mut compared = 0u64;
    for a in 0..n1 {
        let Some(v) = rep[a] else { continue };
        if truth[a] < MIN_TRUE_ROWS {
            continue;
        }
        let mut est = exact[a] as f64;
        for l in 2..=height {
            let c = g.codes[l][v] as usize;
            if at_label[l][c] > 0 {
                est += at_label[l][c] as f64 / covers[l][c] as f64;
            }
        }
        est += spread_supp;
        let t = truth[a] as f64;
        sum += (est - t).abs() / t;
        compared += 1;
    }
    if compared == 0 { (None, 0) } else { (Some(sum / compared as f64), compared) }
}

/// The label of the first observed value (`g.values()[0]`) at each level `0..=height`: an example
/// of what each level looks like, for reports. Empty if the column has no values.
pub fn level_examples(g: &Generalisation) -> Vec<String> {
    if g.values().is_empty() {
        return Vec::new();
    }
    (0..=g.height()).map(|l| g.labels[l][g.codes[l][0] as usize].to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HierarchySpec;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Ages 0..=4 in bands of 2 and 4: level 1 `0-1`, `2-3`, `4-5`; level 2 `0-3`, `4-7`;
    /// level 3 `*`. One combination per value: 30, 10, 25, 5, 12 rows.
    fn fixture() -> (Vec<Generalisation>, Base) {
        let spec = HierarchySpec::Interval { widths: vec![2, 4], range: None };
        let values: Vec<String> = (0..5).map(|v| v.to_string()).collect();
        let g = Generalisation::build("age", &spec, &values).unwrap();
        assert_eq!(g.labels[1], ["0-1", "2-3", "4-5"]);
        assert_eq!(g.labels[2], ["0-3", "4-7"]);
        assert_eq!(g.height(), 3);
        let base =
            Base { qi: vec![vec![0, 1, 2, 3, 4]].into(), count: vec![30, 10, 25, 5, 12], ..Base::default() };
        (vec![g], base)
    }

    #[test]
    fn mixed_levels_and_a_suppressed_row() {
        let (gens, base) = fixture();
        // 0 (30 rows) at level 0; 1 (10) at level 2 `0-3`; 2 (25) at level 1; 3 (5) suppressed;
        // 4 (12) at level 3 `*`.
        let rec = Recoding {
            levels: vec![vec![0, 2, 1, 0, 3]],
            suppressed: vec![false, false, false, true, false],
        };
        let a = &column_accuracy(&gens, &base, &rec)[0];
        assert_eq!(a.rows_by_level, [30, 25, 10, 12]);
        assert_eq!(a.suppressed, 5);
        assert!(close(a.finer_than_top, 65.0 / 82.0));
        // Estimates: 0-1 = 30 + 10/2 + 12/3 + 5/3 = 40.67 (true 40); 2-3 = 25 + 10/2 + 12/3 + 5/3
        // = 35.67 (true 30); 4-5 = 12/3 + 5/3 (true 12, below 20, not compared).
        // MARE = ((2/3)/40 + (17/3)/30) / 2 = (1/60 + 17/90) / 2 = 37/360.
        assert_eq!(a.count_error_labels, 2);
        assert!(close(a.count_error.unwrap(), 37.0 / 360.0), "{:?}", a.count_error);
    }

    #[test]
    fn level_zero_is_exact_and_the_top_is_a_uniform_spread() {
        let (gens, base) = fixture();
        for level in [0u8, 1] {
            let a = &column_accuracy(&gens, &base, &Recoding::uniform(&[level], 5, vec![false; 5]))[0];
            assert_eq!(a.count_error, Some(0.0));
            assert_eq!(a.count_error_labels, 2);
            assert!(close(a.finer_than_top, 1.0));
        }
        // All 82 rows at `*`: each of the 3 observed level-1 labels gets 82/3.
        let uniform = ((82.0 / 3.0 - 40.0f64).abs() / 40.0 + (82.0 / 3.0 - 30.0f64).abs() / 30.0) / 2.0;
        let top = &column_accuracy(&gens, &base, &Recoding::uniform(&[3], 5, vec![false; 5]))[0];
        assert_eq!(top.rows_by_level, [0, 0, 0, 82]);
        assert!(close(top.count_error.unwrap(), uniform));
        assert_eq!(top.finer_than_top, 0.0);
        // Suppressing everything gives the same estimate; no row is finer than the top.
        let none = &column_accuracy(&gens, &base, &Recoding::uniform(&[0], 5, vec![true; 5]))[0];
        assert_eq!((none.rows_by_level.clone(), none.suppressed), (vec![0, 0, 0, 0], 82));
        assert!(close(none.count_error.unwrap(), uniform));
        assert_eq!(none.finer_than_top, 0.0);
        // Level 2: `0-3` (70 rows) over 0-1 and 2-3, 35 each; `4-7` (12) onto 4-5 alone.
        let l2 = &column_accuracy(&gens, &base, &Recoding::uniform(&[2], 5, vec![false; 5]))[0];
        assert!(close(l2.count_error.unwrap(), (5.0 / 40.0 + 5.0 / 30.0) / 2.0));
    }

    #[test]
    fn unobserved_labels_get_nothing_and_columns_are_independent() {
        // An ARX-style hierarchy listing a value (`x`) absent from the data: its level-1 label
        // `X` is not covered by `*`, so `*` spreads over `A` and `B` only. Value `b2` is listed
        // in the generalisation but has no rows, which changes nothing.
        let g = Generalisation {
            column: "c".into(),
            description: "test".into(),
            codes: vec![vec![0, 1, 2], vec![0, 1, 1], vec![0, 0, 0]],
            labels: vec![
                ["a", "b", "b2"].iter().collect(),
                ["A", "B", "X"].iter().collect(),
                ["*"].iter().collect(),
            ],
            leaves: vec![vec![1, 1, 1], vec![1, 2, 1], vec![4]],
            domain: 4,
            spec: None,
        };
        let s = Generalisation::build("s", &HierarchySpec::Suppress, &["p".into(), "q".into()]).unwrap();
        let base = Base {
            qi: vec![vec![0, 1, 0], vec![0, 0, 1]].into(),
            count: vec![20, 40, 40],
            ..Base::default()
        };
        // Column c: combination 0 (a, 20) at `*`, 1 (b, 40) at 0, 2 (a, 40) at 1.
        // Column s: 0 at `*`, 1 and 2 at level 0.
        let rec = Recoding { levels: vec![vec![2, 0, 1], vec![1, 0, 0]], suppressed: vec![false; 3] };
        let acc = column_accuracy(&[g.clone(), s], &base, &rec);
        // A: true 60, estimate 40 + 10 = 50; B: true 40, estimate 40 + 10 = 50.
        assert_eq!(acc[0].rows_by_level, [40, 40, 20]);
        assert!(close(acc[0].count_error.unwrap(), (10.0 / 60.0 + 10.0 / 40.0) / 2.0));
        assert_eq!(acc[0].count_error_labels, 2);
        assert!(close(acc[0].finer_than_top, 0.8));
        // Column s's level 1 is `*` alone: its single label's count is always exact.
        assert_eq!(acc[1].rows_by_level, [80, 20]);
        assert_eq!((acc[1].count_error, acc[1].count_error_labels), (Some(0.0), 1));
        assert_eq!(level_examples(&g), ["a", "A", "*"]);
        // No level 1, or no label with 20 rows: no figure.
        let flat = Generalisation {
            codes: vec![vec![0, 1, 2]],
            labels: vec![g.labels[0].clone()],
            leaves: vec![vec![1, 1, 1]],
            ..g.clone()
        };
        let rec1 = Recoding { levels: vec![vec![0, 0, 0]], suppressed: vec![false; 3] };
        let one = Base {
            qi: vec![base.qi.to_columns().swap_remove(0)].into(),
            count: base.count.clone(),
            ..Base::default()
        };
        let a = &column_accuracy(&[flat], &one, &rec1)[0];
        assert_eq!((a.rows_by_level.clone(), a.count_error, a.finer_than_top), (vec![100], None, 0.0));
        let small = Base { qi: vec![vec![0, 1]].into(), count: vec![19, 3], ..Base::default() };
        let rec2 = Recoding { levels: vec![vec![0, 0]], suppressed: vec![false; 2] };
        let a = &column_accuracy(&[g], &small, &rec2)[0];
        assert_eq!((a.count_error, a.count_error_labels), (None, 0));
    }
}
