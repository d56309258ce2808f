//! Generalisation hierarchies: ARX CSV files and built-ins, validated and indexed for the search.
//!
//! A hierarchy maps each original value to one label per level; level 0 is the value itself and
//! the top is usually `*`. Full-domain generalisation needs every level to be a function of the
//! one below (two values that share a label at level i share it at every level above); files
//! that break that are refused, naming the labels.

use std::collections::HashMap;
use std::path::Path;

use crate::labels::Labels;
use crate::policy::HierarchySpec;

/// The separator used to build class keys from labels; refused inside values and labels.
pub(crate) const KEY_SEPARATOR: char = '\u{1f}';

/// Why a hierarchy cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum HierarchyError {
    /// The hierarchy itself is unusable.
    Invalid(String),
    /// A value of the data is not in the hierarchy (or not of the built-in's shape).
    Missing {
        /// The value.
        value: String,
        /// Why it does not fit.
        reason: String,
    },
}

/// One quasi-identifier's hierarchy, indexed by the values observed in the data.
#[derive(Debug, Clone)]
pub struct Generalisation {
    /// The column.
    pub column: String,
    /// What the hierarchy is, for reports.
    pub description: String,
    /// `codes[level][value code]` is the value's label code at that level.
    pub codes: Vec<Vec<u32>>,
    /// `labels[level][label code]` is the label text; level 0's labels are the observed values,
    /// sorted ([`Generalisation::values`]).
    pub labels: Vec<Labels>,
    /// `leaves[level][label code]`: how many domain values the label covers (for the loss metric).
    pub leaves: Vec<Vec<u64>>,
    /// Number of values in the domain (hierarchy rows; for built-ins, the observed values).
    pub domain: u64,
    /// The hierarchy it was built from (`None` for one made by hand, in tests): a distributed
    /// engine computes a built-in's labels from the value where the rows are (0016), so it
    /// must describe `labels` exactly; a copy given other labels must set it to `None`.
    pub spec: Option<HierarchySpec>,
}

impl Generalisation {
    /// Observed values, sorted; a value's code is its index (level 0's labels).
    pub fn values(&self) -> &Labels {
        &self.labels[0]
    }

    /// Levels above the original values (the lattice's height for this attribute).
    pub fn height(&self) -> usize {
        self.codes.len() - 1
    }

    /// Builds the generalisation of `values` (distinct, any order) for a hierarchy spec.
    pub fn build(column: &str, spec: &HierarchySpec, values: &[String]) -> Result<Self, HierarchyError> {
        Self::build_owned(column, spec, values.iter().collect())
    }

    /// [`Generalisation::build`] taking the values, so that a column of millions of distinct
    /// values (a postcode) is not copied: when they are sorted and distinct already, they are
    /// kept as they are.
    pub fn build_owned(column: &str, spec: &HierarchySpec, values: Labels) -> Result<Self, HierarchyError> {
        let mut sorted = values;
        if !(1..sorted.len()).all(|i| sorted[i - 1] < sorted[i]) {
            let mut v: Vec<&str> = sorted.iter().collect();
            v.sort_unstable();
            v.dedup();
            sorted = v.into_iter().collect();
        }
        for v in sorted.iter() {
            if v.contains(KEY_SEPARATOR) {
                return Err(HierarchyError::Missing {
                    value: v.to_string(),
                    reason: "contains the control character U+001F".into(),
                });
            }
        }
        let mut g = match spec {
            HierarchySpec::File(path) => {
                let rows = read_arx(path)?;
                Self::from_rows(column, spec.describe(), rows, sorted)
            }
            HierarchySpec::Mask => {
                let longest = sorted.iter().map(|v| v.chars().count()).max().unwrap_or(0);
                Self::from_value_rows(column, spec.describe(), sorted, |v| Ok(mask_row(v, longest)))
            }
            _ => Self::from_value_rows(column, spec.describe(), sorted, |v| builtin_row(spec, v)),
        }?;
        g.spec = Some(spec.clone());
        Ok(g)
    }

    /// The generalisation of sorted, distinct `values` whose hierarchy row is computed from each
    /// value (built-ins): one row at a time, so memory holds the labels, not a row per value.
    /// The same result and the same messages as [`Generalisation::from_rows`] with those rows.
    fn from_value_rows(
        column: &str,
        description: String,
        values: Labels,
        row: impl Fn(&str) -> Result<Vec<String>, HierarchyError>,
    ) -> Result<Self, HierarchyError> {
        let invalid = |m: String| HierarchyError::Invalid(m);
        let mut width = 0usize;
        let mut index: Vec<HashMap<String, u32>> = Vec::new();
        let mut codes: Vec<Vec<u32>> = Vec::new();
        let mut labels: Vec<Labels> = Vec::new();
        let mut leaves: Vec<Vec<u64>> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let r = row(v)?;
            if i == 0 {
                width = r.len();
                if width == 0 {
                    return Err(invalid("row 1 is empty".into()));
                }
                if width > 255 {
                    return Err(invalid(format!(
                        "the hierarchy has {width} levels; at most 255 are supported"
                    )));
                }
                index = vec![HashMap::new(); width];
                codes = (0..width).map(|_| Vec::with_capacity(values.len())).collect();
                labels = vec![Labels::default(); width];
                leaves = vec![Vec::new(); width];
            }
            check_row(i, r.as_slice(), width)?;
            for (level, lab) in r.into_iter().enumerate().skip(1) {
                let next = labels[level].len() as u32;
                let c = match index[level].get(lab.as_str()) {
                    Some(&c) => c,
                    None => {
                        labels[level].push(&lab);
                        index[level].insert(lab, next);
                        leaves[level].push(0);
                        next
                    }
                };
                leaves[level][c as usize] += 1;
                codes[level].push(c);
            }
        }
        if values.is_empty() {
            return Err(invalid("the hierarchy has no rows".into()));
        }
        drop(index);
        // Every level must be a function of the level below (same order of checks as from_rows).
        for level in 1..width.saturating_sub(1) {
            let mut up: HashMap<u32, (usize, u32)> = HashMap::new();
            for (i, (&lab, &next)) in codes[level].iter().zip(&codes[level + 1]).enumerate() {
                match up.get(&lab) {
                    Some(&(j, other)) if other != next => {
                        return Err(invalid(format!(
                            "inconsistent levels: '{}' at level {level} generalises to '{}' (row {}) \
                             and to '{}' (row {}) at level {}",
                            &labels[level][lab as usize],
                            &labels[level + 1][other as usize],
                            j + 1,
                            &labels[level + 1][next as usize],
                            i + 1,
                            level + 1
                        )));
                    }
                    Some(_) => {}
                    None => {
                        up.insert(lab, (i, next));
                    }
                }
            }
        }
        codes[0] = (0..values.len() as u32).collect();
        leaves[0] = vec![1u64; values.len()];
        let domain = values.len() as u64;
        labels[0] = values;
        Ok(Generalisation {
            column: column.to_string(),
            description,
            codes,
            labels,
            leaves,
            domain,
            spec: None,
        })
    }

    fn from_rows(
        column: &str,
        description: String,
        rows: Vec<Vec<String>>,
        values: Labels,
    ) -> Result<Self, HierarchyError> {
        let invalid = |m: String| HierarchyError::Invalid(m);
        let width = rows.first().map(Vec::len).ok_or_else(|| invalid("the hierarchy has no rows".into()))?;
        if width == 0 {
            return Err(invalid("row 1 is empty".into()));
        }
        if width > 255 {
            return Err(invalid(format!("the hierarchy has {width} levels; at most 255 are supported")));
        }
        let mut row_of: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            check_row(i, r.as_slice(), width)?;
            if let Some(j) = row_of.insert(r[0].as_str(), i) {
                return Err(invalid(format!(
                    "value '{}' appears twice (rows {} and {})",
                    r[0],
                    j + 1,
                    i + 1
                )));
            }
        }
        // Every level must be a function of the level below.
        for level in 1..width.saturating_sub(1) {
            let mut up: HashMap<&str, (usize, &str)> = HashMap::new();
            for (i, r) in rows.iter().enumerate() {
                let (lab, next) = (r[level].as_str(), r[level + 1].as_str());
                match up.get(lab) {
                    Some(&(j, other)) if other != next => {
                        return Err(invalid(format!(
                            "inconsistent levels: '{lab}' at level {level} generalises to '{other}' (row {}) \
                             and to '{next}' (row {}) at level {}",
                            j + 1,
                            i + 1,
                            level + 1
                        )));
                    }
                    Some(_) => {}
                    None => {
                        up.insert(lab, (i, next));
                    }
                }
            }
        }
        let mut value_rows = Vec::with_capacity(values.len());
        for v in values.iter() {
            let r = row_of.get(v).copied().ok_or_else(|| HierarchyError::Missing {
                value: v.to_string(),
                reason: "is not in the hierarchy".into(),
            })?;
            value_rows.push(r);
        }
        let mut codes = vec![(0..values.len() as u32).collect::<Vec<u32>>()];
        let mut leaves = vec![vec![1u64; values.len()]];
        let mut labels = vec![values];
        for level in 1..width {
            let mut index: HashMap<&str, u32> = HashMap::new();
            let mut names = Labels::default();
            let mut count = Vec::new();
            for r in &rows {
                let next = names.len() as u32;
                let c = *index.entry(r[level].as_str()).or_insert(next);
                if c == next {
                    names.push(&r[level]);
                    count.push(0u64);
                }
                count[c as usize] += 1;
            }
            codes.push(value_rows.iter().map(|&r| index[rows[r][level].as_str()]).collect());
            labels.push(names);
            leaves.push(count);
        }
        Ok(Generalisation {
            column: column.to_string(),
            description,
            codes,
            labels,
            leaves,
            domain: rows.len() as u64,
            spec: None,
        })
    }

    /// The loss of one cell generalised to `label` at `level`: (leaves - 1) / (domain - 1).
    pub fn cell_loss(&self, level: usize, label: u32) -> f64 {
        self.loss_of(self.loss_units(level, label) as u128)
    }

    /// The numerator of [`Generalisation::cell_loss`], a whole number: leaves - 1 (0 when the
    /// domain has at most one value). Sums of these are exact in any order.
    pub fn loss_units(&self, level: usize, label: u32) -> u64 {
        if self.domain <= 1 {
            return 0;
        }
        self.leaves[level][label as usize] - 1
    }

    /// The loss of `units` summed loss units (cells' numerators times their rows): one
    /// division by domain - 1.
    pub fn loss_of(&self, units: u128) -> f64 {
        if self.domain <= 1 {
            return 0.0;
        }
        units as f64 / (self.domain - 1) as f64
    }
}

/// Row `i` (0-based) of a hierarchy: `width` levels, and no label holding the key separator.
fn check_row(i: usize, r: &[String], width: usize) -> Result<(), HierarchyError> {
    if r.len() != width {
        return Err(HierarchyError::Invalid(format!(
            "inconsistent levels: row {} has {} levels but row 1 has {width}",
            i + 1,
            r.len()
        )));
    }
    if let Some(l) = r.iter().find(|l| l.contains(KEY_SEPARATOR)) {
        return Err(HierarchyError::Invalid(format!(
            "row {}: label {l:?} contains the control character U+001F",
            i + 1
        )));
    }
    Ok(())
}

/// Reads an ARX hierarchy: `;`-separated, no header, one row per value.
fn read_arx(path: &Path) -> Result<Vec<Vec<String>>, HierarchyError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| HierarchyError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec =
            rec.map_err(|e| HierarchyError::Invalid(format!("{} row {}: {e}", path.display(), i + 1)))?;
        if rec.len() == 1 && rec[0].is_empty() {
            continue;
        }
        rows.push(rec.iter().map(str::to_string).collect());
    }
    if rows.is_empty() {
        return Err(HierarchyError::Invalid(format!("{} has no rows", path.display())));
    }
    Ok(rows)
}

fn builtin_row(spec: &HierarchySpec, v: &str) -> Result<Vec<String>, HierarchyError> {
    let miss = |reason: &str| HierarchyError::Missing { value: v.to_string(), reason: reason.to_string() };
    let mut row = vec![v.to_string()];
    match spec {
        HierarchySpec::File(_) | HierarchySpec::Mask => {
            return Err(HierarchyError::Invalid("internal: this hierarchy is not built row by row".into()));
        }
        HierarchySpec::Interval { widths, range } => {
            let n: i64 = v.trim().parse().map_err(|_| miss("is not a whole number"))?;
            if let Some((lo, hi)) = range
                && !(*lo..=*hi).contains(&n)
            {
                return Err(miss(&format!("is outside {lo}..{hi}")));
            }
            for &w in widths {
                let w = w as i64;
                let lo = n.div_euclid(w) * w;
                row.push(format!("{lo}-{}", lo + w - 1));
            }
        }
        HierarchySpec::Date => {
            let b = v.as_bytes();
            let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
            let ok = b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && digits(0..4)
                && digits(5..7)
                && digits(8..10);
            let month: u32 = if ok { v[5..7].parse().unwrap_or(0) } else { 0 };
            let day: u32 = if ok { v[8..10].parse().unwrap_or(0) } else { 0 };
            if !ok || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                return Err(miss("is not a date of the form YYYY-MM-DD"));
            }
            row.push(v[..7].to_string());
            row.push(v[..4].to_string());
        }
        HierarchySpec::UkPostcode => {
            let (outward, inward) =
                split_postcode(v).ok_or_else(|| miss("is not a full UK postcode like 'LS6 2QT'"))?;
            let area: String = outward.chars().take_while(char::is_ascii_alphabetic).collect();
            row.push(format!("{outward} {}", &inward[..1]));
            row.push(outward.to_string());
            row.push(area);
        }
        HierarchySpec::Suppress => {}
    }
    row.push("*".to_string());
    Ok(row)
}

/// Splits `LS6 2QT` into (`LS6`, `2QT`) if it has a postcode's shape (uppercase, one space).
fn split_postcode(v: &str) -> Option<(&str, &str)> {
    let (outward, inward) = v.split_once(' ')?;
    let o = outward.as_bytes();
    let i = inward.as_bytes();
    let letters = o.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let shape_out = (2..=4).contains(&o.len())
        && (1..=2).contains(&letters)
        && o.get(letters).is_some_and(u8::is_ascii_digit)
        && o[letters + 1..].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    let shape_in =
        i.len() == 3 && i[0].is_ascii_digit() && i[1].is_ascii_uppercase() && i[2].is_ascii_uppercase();
    (shape_out && shape_in).then_some((outward, inward))
}

/// Mask hierarchy rows: level i hides the last i characters; the top is `*`.
/// The mask hierarchy's row of `v`: one more trailing character masked per level, up to the
/// longest value's length, then `*`.
fn mask_row(v: &str, longest: usize) -> Vec<String> {
    let chars: Vec<char> = v.chars().collect();
    let mut row = vec![v.to_string()];
    for i in 1..=longest {
        let keep = chars.len().saturating_sub(i);
        let mut s: String = chars[..keep].iter().collect();
        s.extend(std::iter::repeat_n('*', chars.len() - keep));
        row.push(s);
    }
    row.push("*".to_string());
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built-ins computed one value at a time equal the same rows materialised and read by
    /// `from_rows`: codes, labels, leaves, and the message of an inconsistent hierarchy.
    #[test]
    fn row_by_row_equals_materialised_rows() {
        let specs = [
            HierarchySpec::Interval { widths: vec![5, 10, 20], range: None },
            HierarchySpec::Interval { widths: vec![5, 7], range: None },
            HierarchySpec::Date,
            HierarchySpec::UkPostcode,
            HierarchySpec::Suppress,
            HierarchySpec::Mask,
        ];
        let numbers: Vec<String> = (0..200).map(|i| ((i * 37) % 101).to_string()).collect();
        let dates = vals(&["2025-01-31", "2024-12-01", "2025-01-02", "2023-07-14"]);
        let postcodes = vals(&["LS6 2QT", "LS6 2QA", "LS16 5AB", "M1 1AE", "SW1A 1AA"]);
        for spec in &specs {
            let values = match spec {
                HierarchySpec::Date => dates.clone(),
                HierarchySpec::UkPostcode => postcodes.clone(),
                _ => numbers.clone(),
            };
            let mut sorted = values.clone();
            sorted.sort_unstable();
            sorted.dedup();
            let rows: Vec<Vec<String>> = match spec {
                HierarchySpec::Mask => {
                    let longest = sorted.iter().map(|v| v.chars().count()).max().unwrap_or(0);
                    sorted.iter().map(|v| mask_row(v, longest)).collect()
                }
                _ => sorted.iter().map(|v| builtin_row(spec, v).unwrap()).collect(),
            };
            let reference = Generalisation::from_rows("c", spec.describe(), rows, sorted.iter().collect());
            let built = Generalisation::build("c", spec, &values);
            match (reference, built) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(
                        (a.values(), &a.codes, &a.labels),
                        (b.values(), &b.codes, &b.labels),
                        "{spec:?}"
                    );
                    assert_eq!((&a.leaves, a.domain), (&b.leaves, b.domain), "{spec:?}");
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{spec:?}"),
                (a, b) => panic!("{spec:?}: {a:?} vs {b:?}"),
            }
        }
        // The 5/7 bands are not nested: refused, naming the labels.
        let e = Generalisation::build("c", &specs[1], &numbers).unwrap_err();
        assert!(matches!(&e, HierarchyError::Invalid(m) if m.contains("generalises to")), "{e:?}");
    }

    fn vals(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn labels_of(g: &Generalisation, value: &str) -> Vec<String> {
        let code = g.values().iter().position(|v| v == value).unwrap();
        (0..=g.height()).map(|l| g.labels[l][g.codes[l][code] as usize].to_string()).collect()
    }

    #[test]
    fn more_than_255_levels_are_refused() {
        let long = "x".repeat(254);
        match Generalisation::build("c", &HierarchySpec::Mask, &[long]) {
            Err(HierarchyError::Invalid(m)) => assert!(m.contains("at most 255"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(Generalisation::build("c", &HierarchySpec::Mask, &["x".repeat(253)]).is_ok());
    }

    #[test]
    fn builtins() {
        let spec = HierarchySpec::Interval { widths: vec![5, 10, 20], range: Some((0, 150)) };
        let g = Generalisation::build("age", &spec, &vals(&["47", "3", "47"])).unwrap();
        assert_eq!(g.values(), &vals(&["3", "47"]));
        assert_eq!(labels_of(&g, "47"), vals(&["47", "45-49", "40-49", "40-59", "*"]));
        let e = Generalisation::build("age", &spec, &vals(&["151"])).unwrap_err();
        assert!(matches!(e, HierarchyError::Missing { ref reason, .. } if reason.contains("outside")));
        let g = Generalisation::build("d", &HierarchySpec::Date, &vals(&["2025-04-30"])).unwrap();
        assert_eq!(labels_of(&g, "2025-04-30"), vals(&["2025-04-30", "2025-04", "2025", "*"]));
        assert!(Generalisation::build("d", &HierarchySpec::Date, &vals(&["2025-13-01"])).is_err());
        let g =
            Generalisation::build("p", &HierarchySpec::UkPostcode, &vals(&["SW1A 1AA", "LS6 2QT"])).unwrap();
        assert_eq!(labels_of(&g, "SW1A 1AA"), vals(&["SW1A 1AA", "SW1A 1", "SW1A", "SW", "*"]));
        for bad in ["LS6", "ls6 2qt", "LS6  2QT", "6LS 2QT", "LS6 QT2"] {
            assert!(Generalisation::build("p", &HierarchySpec::UkPostcode, &vals(&[bad])).is_err(), "{bad}");
        }
        let g = Generalisation::build("m", &HierarchySpec::Mask, &vals(&["abc", "ab"])).unwrap();
        assert_eq!(labels_of(&g, "abc"), vals(&["abc", "ab*", "a**", "***", "*"]));
        assert_eq!(labels_of(&g, "ab"), vals(&["ab", "a*", "**", "**", "*"]));
    }

    #[test]
    fn arx_rows_validated() {
        let rows = |r: &[&[&str]]| r.iter().map(|x| vals(x)).collect::<Vec<_>>();
        let ok = rows(&[&["a", "ab", "*"], &["b", "ab", "*"], &["c", "c", "*"]]);
        let g = Generalisation::from_rows("x", "t".into(), ok.clone(), ["a", "c"].iter().collect()).unwrap();
        assert_eq!(g.domain, 3);
        assert_eq!(g.leaves[1][g.codes[1][0] as usize], 2);
        assert!((g.cell_loss(1, g.codes[1][0]) - 0.5).abs() < 1e-12);
        let e = Generalisation::from_rows("x", "t".into(), ok, ["z"].iter().collect()).unwrap_err();
        assert!(matches!(e, HierarchyError::Missing { ref value, .. } if value == "z"));
        let ragged = rows(&[&["a", "ab", "*"], &["b", "*"]]);
        let e = Generalisation::from_rows("x", "t".into(), ragged, ["a"].iter().collect()).unwrap_err();
        assert_eq!(
            e,
            HierarchyError::Invalid("inconsistent levels: row 2 has 2 levels but row 1 has 3".into())
        );
        let not_function = rows(&[&["a", "ab", "X"], &["b", "ab", "Y"]]);
        let e = Generalisation::from_rows("x", "t".into(), not_function, ["a"].iter().collect()).unwrap_err();
        assert!(
            matches!(e, HierarchyError::Invalid(ref m) if m.contains("'ab' at level 1 generalises to 'X' (row 1) and to 'Y' (row 2)")),
            "{e:?}"
        );
        let dup = rows(&[&["a", "*"], &["a", "*"]]);
        assert!(Generalisation::from_rows("x", "t".into(), dup, ["a"].iter().collect()).is_err());
    }
}
