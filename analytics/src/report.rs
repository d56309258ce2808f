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
    /// The policy's `weight` for this column, when set (its share in `loss` and `entropy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// The policy's `max_level` for this column, when set (no coarser level was considered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_level: Option<u8>,
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

impl Report {
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
        if !self.policy.dropped.is_empty() {
            h.push_str(&format!(
                "<p>Removed entirely (direct identifiers): {}.</p>",
                esc(&self.policy.dropped.join(", "))
            ));
        }
        // Generalisation per attribute.
        h.push_str("<h2>How each column was coarsened</h2><p class=\"note\">Level 0 is the original value; the top level hides it completely. \
            Information lost is the share of each column's range that a released value covers on average.</p>");
        h.push_str("<table><tr><th>Column</th><th>Method</th><th>Level</th><th>Example</th><th>Distinct values before → after</th><th>Information lost</th></tr>");
        for a in &self.attributes {
            let mut priority = String::new();
            if let Some(m) = a.max_level {
                priority.push_str(&format!("<br><small>at most level {m} (policy)</small>"));
            }
            if let Some(w) = a.weight {
                priority.push_str(&format!("<br><small>weight {w}</small>"));
            }
            h.push_str(&format!(
                "<tr><td>{}{priority}</td><td>{}</td><td>{} of {}</td><td><code>{}</code> → <code>{}</code></td><td>{} → {}</td><td>{}</td></tr>",
                esc(&a.column), esc(&a.hierarchy), a.level, a.height, esc(&a.example.0), esc(&a.example.1),
                a.distinct_before, a.distinct_after, pct(a.loss)
            ));
        }
        h.push_str("</table>");
        let loss_rows: Vec<(String, f64, String)> =
            self.attributes.iter().map(|a| (a.column.clone(), a.loss, pct(a.loss))).collect();
        h.push_str(&bars(&loss_rows, 1.0, "#1d70b8"));
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
