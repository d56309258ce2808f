//! Aggregate tables with NHS small-number disclosure control.
//!
//! Counts by the table's columns plus every marginal total. Counts from 1 to `suppress_below - 1`
//! are shown as `*` (primary suppression); the others are rounded to the nearest `round_to`,
//! totals rounded from their unrounded sums. Then secondary suppression: along every line of the
//! table (all cells that differ in one column, plus that line's total), a single suppressed cell
//! could be recovered by subtraction, so the smallest other non-zero cell of the line (or, if
//! there is none, the line's total) is suppressed too, until no line has exactly one.

use std::collections::BTreeMap;

use crate::policy::Table;

/// The label of marginal totals.
pub const TOTAL: &str = "Total";

/// The code of a total in a cell key: after every category, so totals sort last.
const TOTAL_CODE: u32 = u32::MAX;

/// A protected table, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Protected {
    /// The header: group-by columns then `count`.
    pub header: Vec<String>,
    /// Rows: the cell's values (or `Total`), then the shown count (`*` or a number).
    pub rows: Vec<Vec<String>>,
    /// Cells including totals.
    pub cells: u64,
    /// Cells suppressed because they are small.
    pub primary: u64,
    /// Cells suppressed to protect others.
    pub secondary: u64,
}

/// Applies suppression and rounding to raw counts (`(values, count)` per observed combination).
pub fn protect(table: &Table, counts: &[(Vec<String>, u64)]) -> Result<Protected, String> {
    let d = table.group_by.len();
    if d > 8 {
        return Err(format!("table '{}' groups by {d} columns; at most 8 are supported", table.name));
    }
    // Category codes per dimension, sorted.
    let mut cats: Vec<Vec<&str>> = vec![Vec::new(); d];
    for (values, _) in counts {
        for (i, v) in values.iter().enumerate() {
            if v == TOTAL {
                return Err(format!(
                    "table '{}': column '{}' has a value 'Total', which would be confused with the totals",
                    table.name, table.group_by[i]
                ));
            }
            cats[i].push(v.as_str());
        }
    }
    for c in &mut cats {
        c.sort_unstable();
        c.dedup();
    }
    let code = |i: usize, v: &str| cats[i].binary_search(&v).unwrap_or(0) as u32;
    // Unrounded counts of every cell and every marginal.
    let mut cells: BTreeMap<Vec<u32>, u64> = BTreeMap::new();
    for (values, n) in counts {
        let coords: Vec<u32> = values.iter().enumerate().map(|(i, v)| code(i, v)).collect();
        for mask in 0u32..(1 << d) {
            let key: Vec<u32> =
                (0..d).map(|i| if mask & (1 << i) != 0 { TOTAL_CODE } else { coords[i] }).collect();
            *cells.entry(key).or_insert(0) += n;
        }
    }
    let mut suppressed: BTreeMap<Vec<u32>, bool> =
        cells.iter().map(|(k, &n)| (k.clone(), n >= 1 && n < table.suppress_below)).collect();
    let primary = suppressed.values().filter(|&&s| s).count() as u64;
    // Secondary suppression until every line has zero or at least two suppressed cells.
    loop {
        let mut changed = false;
        for i in 0..d {
            let mut lines: BTreeMap<Vec<u32>, Vec<Vec<u32>>> = BTreeMap::new();
            for key in cells.keys().filter(|k| k[i] != TOTAL_CODE) {
                let mut total = key.clone();
                total[i] = TOTAL_CODE;
                lines.entry(total).or_default().push(key.clone());
            }
            for (total, members) in lines {
                let hidden = members.iter().chain(std::iter::once(&total)).filter(|k| suppressed[*k]).count();
                if hidden != 1 {
                    continue;
                }
                let pick = members
                    .iter()
                    .filter(|k| !suppressed[*k] && cells[*k] > 0)
                    .min_by(|a, b| cells[*a].cmp(&cells[*b]).then(a.cmp(b)))
                    .cloned()
                    .unwrap_or(total);
                if let Some(s) = suppressed.get_mut(&pick)
                    && !*s
                {
                    *s = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let total_suppressed = suppressed.values().filter(|&&s| s).count() as u64;
    let rows =
        cells
            .iter()
            .map(|(key, &n)| {
                let mut row: Vec<String> =
                    key.iter()
                        .enumerate()
                        .map(|(i, &c)| {
                            if c == TOTAL_CODE { TOTAL.to_string() } else { cats[i][c as usize].to_string() }
                        })
                        .collect();
                row.push(if suppressed[key] { "*".into() } else { round(n, table.round_to).to_string() });
                row
            })
            .collect();
    let mut header = table.group_by.clone();
    header.push("count".into());
    Ok(Protected { header, rows, cells: cells.len() as u64, primary, secondary: total_suppressed - primary })
}

/// Rounds to the nearest multiple of `to`, halves up.
pub fn round(n: u64, to: u64) -> u64 {
    (n + to / 2) / to * to
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cols: &[&str]) -> Table {
        Table {
            name: "t".into(),
            group_by: cols.iter().map(|s| s.to_string()).collect(),
            suppress_below: 8,
            round_to: 5,
        }
    }

    fn counts(rows: &[(&[&str], u64)]) -> Vec<(Vec<String>, u64)> {
        rows.iter().map(|(v, n)| (v.iter().map(|s| s.to_string()).collect(), *n)).collect()
    }

    fn shown<'a>(p: &'a Protected, key: &[&str]) -> &'a str {
        let row = p.rows.iter().find(|r| r[..key.len()] == *key).unwrap();
        row.last().unwrap()
    }

    #[test]
    fn rounding_and_primary() {
        assert_eq!([8, 12, 13, 17, 100].map(|n| round(n, 5)), [10, 10, 15, 15, 100]);
        let p = protect(&table(&["a"]), &counts(&[(&["x"], 3), (&["y"], 12), (&["z"], 40)])).unwrap();
        assert_eq!(shown(&p, &["z"]), "40");
        assert_eq!(shown(&p, &["x"]), "*");
        // x alone hidden would be total - y - z: the smallest other cell, y, is hidden too.
        assert_eq!(shown(&p, &["y"]), "*");
        assert_eq!(p.primary, 1);
        assert_eq!(p.secondary, 1, "{:?}", p.rows);
        assert_eq!(shown(&p, &["Total"]), "55");
    }

    #[test]
    fn no_line_has_exactly_one_hidden_cell() {
        let rows: Vec<(Vec<String>, u64)> = (0..6)
            .flat_map(|r| {
                (0..5).map(move |c| {
                    (vec![format!("r{r}"), format!("c{c}")], ((r * 7 + c * 13) % 23) as u64 + 1)
                })
            })
            .collect();
        let p = protect(&table(&["r", "c"]), &rows).unwrap();
        assert!(p.primary > 0);
        let hidden = |r: &str, c: &str| shown(&p, &[r, c]) == "*";
        let rs: Vec<String> = (0..6).map(|r| format!("r{r}")).chain([TOTAL.to_string()]).collect();
        let cs: Vec<String> = (0..5).map(|c| format!("c{c}")).chain([TOTAL.to_string()]).collect();
        for r in &rs {
            let n = cs.iter().filter(|c| hidden(r, c)).count();
            assert_ne!(n, 1, "row {r}");
        }
        for c in &cs {
            let n = rs.iter().filter(|r| hidden(r, c)).count();
            assert_ne!(n, 1, "column {c}");
        }
    }

    #[test]
    fn refuses_total_value() {
        assert!(protect(&table(&["a"]), &counts(&[(&["Total"], 9)])).unwrap_err().contains("'Total'"));
    }
}
