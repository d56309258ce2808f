//! The release report: `report.json` (machine-readable) and `report.html` (for people).
//!
//! Both hold only deterministic content (no clock, no timings), so the same input and policy give
//! byte-identical reports.

use serde::Serialize;

use crate::risk::{Risk, SizeBucket};
use crate::search::SearchStats;

/// Everything the report says.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The tool and its version.
    pub tool: String,
    /// Input file name, rows and columns.
    pub input: InputSummary,
    /// The policy as applied.
    pub policy: PolicySummary,
    /// What was chosen and achieved.
    pub result: ResultSummary,
    /// Information loss of the chosen transformation under every metric.
    pub information_loss: Loss,
    /// Re-identification risk before and after.
    pub risk: BeforeAfter<Risk>,
    /// Classes by size, before and after.
    pub class_sizes: BeforeAfter<Vec<SizeBucket>>,
    /// Per quasi-identifier.
    pub attributes: Vec<Attribute>,
    /// The lattice search.
    pub search: SearchStats,
    /// Aggregate tables written.
    pub tables: Vec<TableSummary>,
    /// Files of the release, relative to its directory.
    pub files: Vec<String>,
    /// For a local release: the global optimum's figures, to compare with (absent for a global
    /// release).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global: Option<GlobalComparison>,
}

/// The input.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// File name (no directories).
    pub file: String,
    /// Rows.
    pub rows: u64,
    /// Column names.
    pub columns: Vec<String>,
}

/// The policy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySummary {
    /// Minimum class size.
    pub k: u64,
    /// Largest share of rows that may be suppressed.
    pub suppression_limit: f64,
    /// What the search minimised.
    pub metric: String,
    /// `global` (one level per column for every row) or `local` (levels may differ by row).
    pub recoding: String,
    /// Columns removed.
    pub dropped: Vec<String>,
    /// SHA-256 (hex) of the policy file's bytes.
    pub sha256: String,
    /// The policy file's text.
    pub text: String,
}

/// The chosen transformation and what it achieves.
#[derive(Debug, Clone, Serialize)]
pub struct ResultSummary {
    /// Level per quasi-identifier, in policy order.
    pub node: Vec<u8>,
    /// Smallest released class.
    pub achieved_k: u64,
    /// Per sensitive attribute.
    pub achieved_l: Vec<Diversity>,
    /// Rows whose quasi-identifiers are all `*`.
    pub records_suppressed: u64,
    /// The same as a share of all rows.
    pub suppressed_share: f64,
    /// Released classes.
    pub classes: u64,
    /// Rows / classes.
    pub average_class_size: f64,
}

/// l-diversity achieved for one sensitive attribute.
#[derive(Debug, Clone, Serialize)]
pub struct Diversity {
    /// The column.
    pub column: String,
    /// The policy's l.
    pub required_l: u64,
    /// The policy's variant (`distinct`, `entropy`, `recursive (c=…)`).
    pub variant: String,
    /// Fewest distinct values in a released class.
    pub distinct_l: u64,
    /// Smallest exp(entropy) in a released class.
    pub entropy_l: f64,
}

/// Information loss.
#[derive(Debug, Clone, Serialize)]
pub struct Loss {
    /// Sum of squared class sizes + suppressed x rows.
    pub discernibility: u128,
    /// Generalisation intensity, 0..1.
    pub loss: f64,
    /// Non-uniform entropy, bits.
    pub entropy_bits: f64,
    /// Non-uniform entropy as a share of suppressing everything, 0..1.
    pub entropy_share: f64,
}

/// A pair of figures.
#[derive(Debug, Clone, Serialize)]
pub struct BeforeAfter<T> {
    /// For the input (quasi-identifiers as given).
    pub before: T,
    /// For the release.
    pub after: T,
}

/// One quasi-identifier's generalisation.
#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    /// The column.
    pub column: String,
    /// The hierarchy.
    pub hierarchy: String,
    /// Chosen level.
    pub level: u8,
    /// Highest level.
    pub height: usize,
    /// Distinct values in the input.
    pub distinct_before: u64,
    /// Distinct labels released (`*` counted once if rows are suppressed).
    pub distinct_after: u64,
    /// Example: the first value and its label.
    pub example: (String, String),
    /// Generalisation intensity of this column, 0..1.
    pub loss: f64,
    /// Non-uniform entropy of this column, bits (unweighted).
    pub entropy_bits: f64,
    /// Rows released at each level `0..=height` (suppressed rows not included).
    pub rows_by_level: Vec<u64>,
    /// The first value's label at each level `0..=height` (what each level looks like).
    pub level_examples: Vec<String>,
    /// Share of all rows released at a level below the top (suppressed rows count as not finer).
    pub finer_than_top: f64,
    /// Mean absolute relative error of counts by level-1 label estimated from the release, over
    /// labels with at least 20 true rows ([`crate::accuracy::column_accuracy`]); `null` if none.
    pub count_error: Option<f64>,
    /// Level-1 labels `count_error` averages over.
    pub count_error_labels: u64,
    /// The policy's `weight` for this column, when set (its share in `loss` and `entropy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// The policy's `max_level` for this column, when set (no coarser level was considered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_level: Option<u8>,
}

/// The global (full-domain) optimum's figures, reported with a local release for comparison.
#[derive(Debug, Clone, Serialize)]
pub struct GlobalComparison {
    /// Its level per quasi-identifier, in policy order.
    pub node: Vec<u8>,
    /// Rows it suppresses.
    pub records_suppressed: u64,
    /// Its discernibility.
    pub discernibility: u128,
    /// Its generalisation intensity (weighted, as in [`Loss::loss`]).
    pub loss: f64,
    /// Its non-uniform entropy, bits (weighted, as in [`Loss::entropy_bits`]).
    pub entropy_bits: f64,
    /// Per quasi-identifier, in policy order.
    pub attributes: Vec<GlobalAttribute>,
}

/// One quasi-identifier's accuracy in the global optimum.
#[derive(Debug, Clone, Serialize)]
pub struct GlobalAttribute {
    /// The column.
    pub column: String,
    /// As [`Attribute::count_error`].
    pub count_error: Option<f64>,
    /// As [`Attribute::finer_than_top`].
    pub finer_than_top: f64,
}

/// One aggregate table.
#[derive(Debug, Clone, Serialize)]
pub struct TableSummary {
    /// Its name.
    pub name: String,
    /// Its file in the release.
    pub file: String,
    /// Columns counted by.
    pub group_by: Vec<String>,
    /// Cells including totals.
    pub cells: u64,
    /// Cells hidden as small.
    pub primary_suppressed: u64,
    /// Cells hidden to protect others.
    pub secondary_suppressed: u64,
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Horizontal bars as inline SVG: (label, value, shown text).
fn bars(rows: &[(String, f64, String)], max: f64, colour: &str) -> String {
    let h = 22;
    let mut s = format!(
        "<svg role=\"img\" viewBox=\"0 0 760 {}\" width=\"760\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        rows.len() * h + 4,
        rows.len() * h + 4
    );
    for (i, (label, v, text)) in rows.iter().enumerate() {
        let w = if max > 0.0 { (v / max * 330.0).max(if *v > 0.0 { 1.0 } else { 0.0 }) } else { 0.0 };
        let y = i * h + 2;
        s.push_str(&format!(
            "<text x=\"150\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>\
             <rect x=\"158\" y=\"{}\" width=\"{w:.1}\" height=\"16\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"13\">{}</text>",
            y + 13,
            esc(label),
            y,
            164.0 + w,
            y + 13,
            esc(text)
        ));
    }
    s.push_str("</svg>");
    s
}

/// `s` cut to at most `max` characters, with `…` when cut.
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut o: String = s.chars().take(max - 1).collect();
    o.push('…');
    o
}

impl Report {
    /// Whether levels may differ between rows (`policy.recoding` is `local`).
    pub fn local(&self) -> bool {
        self.policy.recoding == "local"
    }

    /// `report.json`: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    /// `report.html`: a self-contained page (no scripts), readable without knowing the method.
    pub fn to_html(&self) -> String {
        let r = &self.result;
        let qis: Vec<&str> = self.attributes.iter().map(|a| a.column.as_str()).collect();
        let mut h = String::new();
        h.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.push_str(&format!("<title>Anonymisation report: {}</title>", esc(&self.input.file)));
        h.push_str(
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;\
             color:#1b1b1b;line-height:1.5}table{border-collapse:collapse;margin:.5rem 0 1.5rem}\
             td,th{border:1px solid #b1b4b6;padding:.3rem .6rem;text-align:left}th{background:#f3f2f1}\
             .big{font-size:1.25rem}.note{color:#505a5f}svg text{fill:#1b1b1b}\
             @media print{body{margin:0}}</style></head><body>",
        );
        h.push_str(&format!("<h1>Anonymisation report</h1><p class=\"note\">{} · input <code>{}</code> · policy SHA-256 <code>{}</code></p>",
            esc(&self.tool), esc(&self.input.file), esc(&self.policy.sha256)));
        // Plain-words summary.
        h.push_str("<h2>In short</h2><p class=\"big\">");
        h.push_str(&format!(
            "Of {} records, every released combination of <b>{}</b> is shared by at least <b>{}</b> records \
             (the policy asked for {}). ",
            self.input.rows,
            esc(&qis.join(", ")),
            r.achieved_k,
            self.policy.k
        ));
        h.push_str(&format!(
            "<b>{}</b> records ({}) were withheld: their {} are shown as <code>*</code>. ",
            r.records_suppressed,
            pct(r.suppressed_share),
            esc(&qis.join(", "))
        ));
        for d in &r.achieved_l {
            h.push_str(&format!(
                "Every group has at least <b>{}</b> different values of <b>{}</b> (asked: {}, {}). ",
                d.distinct_l,
                esc(&d.column),
                d.required_l,
                esc(&d.variant)
            ));
        }
        h.push_str(&format!(
            "The chance of picking out one person's record fell from at most <b>{}</b> to at most <b>{}</b>.</p>",
            pct(self.risk.before.prosecutor_highest),
            pct(self.risk.after.prosecutor_highest)
        ));
        if self.local() {
            h.push_str(
                "<p>Levels were chosen group by group (local recoding): records can show the same column at \
                 different levels, each only as coarse as its group needed.</p>",
            );
        }
        if !self.policy.dropped.is_empty() {
            h.push_str(&format!(
                "<p>Removed entirely (direct identifiers): {}.</p>",
                esc(&self.policy.dropped.join(", "))
            ));
        }
        // Generalisation per attribute.
        let local = self.local();
        h.push_str("<h2>How each column was coarsened</h2><p class=\"note\">Level 0 is the original value; the top level hides it completely. \
            Information lost is the share of each column's range that a released value covers on average.");
        if local {
            h.push_str(" Levels vary by row: the chart under each column below shows how many rows are at each level.");
        }
        h.push_str("</p>");
        h.push_str("<table><tr><th>Column</th><th>Method</th><th>Level</th><th>Example</th><th>Distinct values before → after</th><th>Information lost</th><th>Rows finer than the top level</th></tr>");
        for a in &self.attributes {
            let mut priority = String::new();
            if let Some(m) = a.max_level {
                priority.push_str(&format!("<br><small>at most level {m} (policy)</small>"));
            }
            if let Some(w) = a.weight {
                priority.push_str(&format!("<br><small>weight {w}</small>"));
            }
            let (level, example) = if local {
                (
                    format!("varies by row (0 to {})", a.height),
                    a.level_examples
                        .iter()
                        .map(|e| format!("<code>{}</code>", esc(e)))
                        .collect::<Vec<_>>()
                        .join(" → "),
                )
            } else {
                (
                    format!("{} of {}", a.level, a.height),
                    format!("<code>{}</code> → <code>{}</code>", esc(&a.example.0), esc(&a.example.1)),
                )
            };
            h.push_str(&format!(
                "<tr><td>{}{priority}</td><td>{}</td><td>{level}</td><td>{example}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.column), esc(&a.hierarchy), a.distinct_before, a.distinct_after, pct(a.loss), pct(a.finer_than_top)
            ));
        }
        h.push_str("</table>");
        let loss_rows: Vec<(String, f64, String)> =
            self.attributes.iter().map(|a| (a.column.clone(), a.loss, pct(a.loss))).collect();
        h.push_str(&bars(&loss_rows, 1.0, "#1d70b8"));
        // Rows per level and the error of counts.
        h.push_str(&format!(
            "<h2>Rows at each level, and how accurate counts are</h2><p class=\"note\">Count error: counting records by a \
             column's level 1 (for example 5-year age bands) from the release, spreading each coarser value, and each \
             withheld record, evenly over the level-1 values it covers, how far the counts are from the true ones: the \
             average of |estimate − true| / true over the level-1 values with at least {} records.</p>",
            crate::accuracy::MIN_TRUE_ROWS
        ));
        for a in &self.attributes {
            h.push_str(&format!("<h3>{}</h3><p>", esc(&a.column)));
            match a.count_error {
                Some(e) => h.push_str(&format!(
                    "Counts by level 1 (like <code>{}</code>) are off by <b>{}</b> on average, over {} value{} with at \
                     least {} records.",
                    esc(a.level_examples.get(1).map(String::as_str).unwrap_or("")),
                    pct(e),
                    a.count_error_labels,
                    if a.count_error_labels == 1 { "" } else { "s" },
                    crate::accuracy::MIN_TRUE_ROWS
                )),
                None if a.height == 0 => h.push_str("Count error not measured: the hierarchy has no level 1."),
                None => h.push_str(&format!(
                    "Count error not measured: no level-1 value has {} or more records.",
                    crate::accuracy::MIN_TRUE_ROWS
                )),
            }
            h.push_str("</p>");
            let total = self.input.rows.max(1) as f64;
            let mut rows: Vec<(String, f64, String)> = a
                .rows_by_level
                .iter()
                .enumerate()
                .map(|(l, &n)| {
                    let ex = a.level_examples.get(l).map(|e| short(e, 14)).unwrap_or_default();
                    (
                        format!("level {l} · {ex}"),
                        n as f64,
                        format!("{n} records ({})", pct(n as f64 / total)),
                    )
                })
                .collect();
            if r.records_suppressed > 0 {
                let n = r.records_suppressed;
                rows.push((
                    "withheld · *".into(),
                    n as f64,
                    format!("{n} records ({})", pct(n as f64 / total)),
                ));
            }
            let max = rows.iter().map(|x| x.1).fold(0.0, f64::max);
            h.push_str(&bars(&rows, max, "#4c2c92"));
        }
        if let Some(g) = &self.global {
            h.push_str(
                "<h2>Global optimum vs this release</h2><p class=\"note\">The global optimum is the best release under \
                 the same policy with one level per column for every record.</p>\
                 <table><tr><th>Measure</th><th>Global optimum</th><th>This release</th></tr>",
            );
            let node = |n: &[u8]| n.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
            let l = &self.information_loss;
            let this_levels = if local { "vary by row".to_string() } else { node(&r.node) };
            for (name, x, y) in [
                ("Levels", node(&g.node), this_levels),
                ("Records withheld", g.records_suppressed.to_string(), r.records_suppressed.to_string()),
                ("Discernibility", g.discernibility.to_string(), l.discernibility.to_string()),
                ("Generalisation intensity (loss)", pct(g.loss), pct(l.loss)),
                (
                    "Non-uniform entropy",
                    format!("{:.1} bits", g.entropy_bits),
                    format!("{:.1} bits", l.entropy_bits),
                ),
            ] {
                h.push_str(&format!("<tr><td>{name}</td><td>{}</td><td>{}</td></tr>", esc(&x), esc(&y)));
            }
            let error = |e: Option<f64>| e.map(pct).unwrap_or_else(|| "not measured".into());
            for (ga, a) in g.attributes.iter().zip(&self.attributes) {
                h.push_str(&format!(
                    "<tr><td>{0}: count error</td><td>{1}</td><td>{2}</td></tr>\
                     <tr><td>{0}: rows finer than the top level</td><td>{3}</td><td>{4}</td></tr>",
                    esc(&ga.column),
                    error(ga.count_error),
                    error(a.count_error),
                    pct(ga.finer_than_top),
                    pct(a.finer_than_top)
                ));
            }
            h.push_str("</table>");
        }
        // Risk.
        h.push_str("<h2>Re-identification risk</h2><p class=\"note\">Prosecutor: someone who knows a person is in the data. \
            Journalist: someone who only knows the person is in the population. Marketer: the share of all records \
            someone could link at once.</p><table><tr><th></th><th>Before</th><th>After</th></tr>");
        let (b, a) = (&self.risk.before, &self.risk.after);
        for (name, x, y) in [
            ("Highest risk for one record (prosecutor)", b.prosecutor_highest, a.prosecutor_highest),
            ("Average risk (prosecutor)", b.prosecutor_average, a.prosecutor_average),
            ("Records with risk above 20%", b.share_above_threshold, a.share_above_threshold),
            ("Highest risk (journalist)", b.journalist_highest, a.journalist_highest),
            ("Records re-identified at once (marketer)", b.marketer, a.marketer),
        ] {
            h.push_str(&format!("<tr><td>{name}</td><td>{}</td><td>{}</td></tr>", pct(x), pct(y)));
        }
        h.push_str("</table>");
        h.push_str(&bars(
            &[
                ("before".into(), b.prosecutor_average, pct(b.prosecutor_average)),
                ("after".into(), a.prosecutor_average, pct(a.prosecutor_average)),
            ],
            b.prosecutor_average.max(a.prosecutor_average),
            "#d4351c",
        ));
        // Class sizes.
        h.push_str("<h2>How many records share each combination</h2><p class=\"note\">Records by the size of the group they \
            fall in. Before, many records are unique (group of 1); after, none is in a group smaller than k.</p>");
        for (title, dist) in [("Before", &self.class_sizes.before), ("After", &self.class_sizes.after)] {
            h.push_str(&format!("<h3>{title}</h3>"));
            let max = dist.iter().map(|d| d.records as f64).fold(0.0, f64::max);
            let rows: Vec<(String, f64, String)> = dist
                .iter()
                .map(|d| {
                    (
                        format!("group of {}", d.sizes),
                        d.records as f64,
                        format!("{} records, {} groups", d.records, d.classes),
                    )
                })
                .collect();
            h.push_str(&bars(&rows, max, "#00703c"));
        }
        // Information loss.
        let l = &self.information_loss;
        h.push_str(&format!(
            "<h2>Information loss</h2><p>The transformation was chosen to minimise <b>{}</b> among all that meet the policy \
             ({} candidates, {} checked).</p><table><tr><th>Measure</th><th>Value</th></tr>\
             <tr><td>Generalisation intensity (loss)</td><td>{}</td></tr>\
             <tr><td>Non-uniform entropy</td><td>{:.1} bits ({} of the maximum)</td></tr>\
             <tr><td>Discernibility</td><td>{}</td></tr>\
             <tr><td>Average group size</td><td>{:.1}</td></tr></table>",
            esc(&self.policy.metric), self.search.lattice_size, self.search.checked,
            pct(l.loss), l.entropy_bits, pct(l.entropy_share), l.discernibility, r.average_class_size
        ));
        if !self.tables.is_empty() {
            h.push_str("<h2>Aggregate tables</h2><p class=\"note\">Counts of 1 to 7 are shown as <code>*</code>, others rounded to \
                the nearest 5; more cells are hidden where a hidden count could be worked out from a total.</p>\
                <table><tr><th>File</th><th>Counted by</th><th>Cells</th><th>Hidden as small</th><th>Hidden to protect others</th></tr>");
            for t in &self.tables {
                h.push_str(&format!(
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&t.file),
                    esc(&t.group_by.join(", ")),
                    t.cells,
                    t.primary_suppressed,
                    t.secondary_suppressed
                ));
            }
            h.push_str("</table>");
        }
        h.push_str("<h2>Files</h2><ul>");
        for f in &self.files {
            h.push_str(&format!("<li><code>{}</code></li>", esc(f)));
        }
        h.push_str("</ul></body></html>\n");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(level: u8, rows_by_level: Vec<u64>, count_error: Option<f64>) -> Attribute {
        Attribute {
            column: "age".into(),
            hierarchy: "age bands".into(),
            level,
            height: 4,
            distinct_before: 80,
            distinct_after: 9,
            example: ("47".into(), "40-49".into()),
            loss: 0.25,
            entropy_bits: 10.0,
            rows_by_level,
            level_examples: ["47", "45-49", "40-49", "40-59", "*"].map(String::from).to_vec(),
            finer_than_top: 0.9,
            count_error,
            count_error_labels: 7,
            weight: None,
            max_level: None,
        }
    }

    fn report(recoding: &str, attribute: Attribute, global: Option<GlobalComparison>) -> Report {
        let sizes = [40u64, 50];
        Report {
            tool: "ledgerless test".into(),
            input: InputSummary { file: "in.csv".into(), rows: 100, columns: vec!["age".into()] },
            policy: PolicySummary {
                k: 10,
                suppression_limit: 0.1,
                metric: "loss".into(),
                recoding: recoding.into(),
                dropped: vec![],
                sha256: "00".into(),
                text: String::new(),
            },
            result: ResultSummary {
                node: vec![2],
                achieved_k: 40,
                achieved_l: vec![],
                records_suppressed: 10,
                suppressed_share: 0.1,
                classes: 2,
                average_class_size: 45.0,
            },
            information_loss: Loss {
                discernibility: 5000,
                loss: 0.25,
                entropy_bits: 10.0,
                entropy_share: 0.5,
            },
            risk: BeforeAfter {
                before: crate::risk::risk(&sizes, 1.0),
                after: crate::risk::risk(&sizes, 1.0),
            },
            class_sizes: BeforeAfter {
                before: crate::risk::distribution(&sizes),
                after: crate::risk::distribution(&sizes),
            },
            attributes: vec![attribute],
            search: SearchStats::default(),
            tables: vec![],
            files: vec![],
            global,
        }
    }

    #[test]
    fn global_release_shows_one_level_and_the_count_error() {
        let r = report("global", attribute(2, vec![0, 0, 90, 0, 0], Some(0.0321)), None);
        let html = r.to_html();
        assert!(html.contains("<td>2 of 4</td>") && !html.contains("varies by row"));
        assert!(html.contains("off by <b>3.21%</b> on average, over 7 values with at least 20 records"));
        assert!(html.contains("level 2 · 40-49") && html.contains("90 records (90.00%)"));
        assert!(html.contains("withheld · *") && html.contains("10 records (10.00%)"));
        assert!(!html.contains("Global optimum vs this release"));
        assert!(!html.contains("<script") && !html.contains("style=") && !html.contains("href="));
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["policy"]["recoding"], "global");
        assert!(json.get("global").is_none());
        assert_eq!(json["attributes"][0]["rows_by_level"], serde_json::json!([0, 0, 90, 0, 0]));
        assert_eq!(json["attributes"][0]["count_error"], 0.0321);
        assert_eq!(json["attributes"][0]["count_error_labels"], 7);
    }

    #[test]
    fn local_release_says_levels_vary_and_compares_with_the_global_optimum() {
        let global = GlobalComparison {
            node: vec![4],
            records_suppressed: 3,
            discernibility: 9000,
            loss: 1.0,
            entropy_bits: 20.0,
            attributes: vec![GlobalAttribute {
                column: "age".into(),
                count_error: Some(0.5),
                finer_than_top: 0.0,
            }],
        };
        let r = report("local", attribute(2, vec![50, 20, 15, 5, 0], None), Some(global));
        let html = r.to_html();
        assert!(html.contains("varies by row (0 to 4)") && !html.contains("<td>2 of 4</td>"));
        assert!(html.contains("Count error not measured: no level-1 value has 20 or more records."));
        assert!(html.contains("Global optimum vs this release"));
        assert!(html.contains("<tr><td>Levels</td><td>4</td><td>vary by row</td></tr>"));
        assert!(html.contains("<tr><td>age: count error</td><td>50.00%</td><td>not measured</td></tr>"));
        assert!(
            html.contains(
                "<tr><td>age: rows finer than the top level</td><td>0.00%</td><td>90.00%</td></tr>"
            )
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["global"]["discernibility"], 9000);
        assert_eq!(json["global"]["attributes"][0]["count_error"], 0.5);
        assert!(json["attributes"][0]["count_error"].is_null());
    }
}
