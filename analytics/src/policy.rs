//! The anonymisation policy: a TOML file (format in docs/formats.md, "Anonymisation policy").

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// What the optimal search minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Discernibility: sum of squared class sizes, plus suppressed rows x all rows.
    Discernibility,
    /// Generalisation intensity ("loss", Iyengar): share of the domain each cell is widened to.
    #[default]
    Loss,
    /// Non-uniform entropy: information (bits) lost by replacing each value by its label.
    Entropy,
}

impl Metric {
    /// The name used in policies and reports.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Discernibility => "discernibility",
            Metric::Loss => "loss",
            Metric::Entropy => "entropy",
        }
    }
}

/// How cells are generalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recoding {
    /// Full-domain: one level per quasi-identifier for every row (the optimal node).
    #[default]
    Global,
    /// Each row's quasi-identifiers at their own levels (top-down specialisation; at least as
    /// good as the global optimum on the policy's metric).
    Local,
}

impl Recoding {
    /// The name used in policies, reports and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Recoding::Global => "global",
            Recoding::Local => "local",
        }
    }
}

/// A whole policy as written, with hierarchy paths resolved against the policy's folder.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Every class of quasi-identifier values must hold at least this many rows.
    pub k: u64,
    /// The largest share of rows that may be suppressed (0.0 ..= 1.0).
    pub suppression_limit: f64,
    /// What the search minimises.
    pub metric: Metric,
    /// Global (full-domain) or local recoding.
    pub recoding: Recoding,
    /// Direct identifiers removed from the release.
    pub drop: Vec<String>,
    /// Quasi-identifiers with their hierarchies, in policy order.
    pub quasi_identifiers: Vec<QuasiIdentifier>,
    /// Sensitive attributes with their l-diversity requirement.
    pub sensitive: Vec<Sensitive>,
    /// Aggregate tables to publish.
    pub tables: Vec<Table>,
    /// Share of the population the input is a sample of (journalist and marketer risk); 1.0 = census.
    pub sampling_fraction: f64,
    /// The policy file's bytes, kept for the report and the release manifest.
    pub text: String,
}

/// A quasi-identifier column and how it may be generalised.
#[derive(Debug, Clone)]
pub struct QuasiIdentifier {
    /// The input column.
    pub column: String,
    /// Its generalisation hierarchy.
    pub hierarchy: HierarchySpec,
    /// Its share in the `loss` and `entropy` metrics relative to the others (`None` = 1).
    pub weight: Option<f64>,
    /// The coarsest level a release may use for it (`None` = the hierarchy's top); checked
    /// against the hierarchy once it is built.
    pub max_level: Option<u8>,
}

/// Where a hierarchy comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum HierarchySpec {
    /// An ARX hierarchy CSV (`;`-separated, one row per value, one column per level).
    File(PathBuf),
    /// Whole numbers in nested bands of these widths, then `*` (`age` defaults to 5, 10, 20).
    Interval {
        /// Band widths, each a multiple of the one before.
        widths: Vec<u64>,
        /// Values must lie in this range (ages: 0..=150).
        range: Option<(i64, i64)>,
    },
    /// ISO dates: day, month (YYYY-MM), year (YYYY), `*`.
    Date,
    /// Full UK postcodes: postcode, sector (`LS6 2`), district (`LS6`), area (`LS`), `*`.
    UkPostcode,
    /// Mask characters from the right, one more per level, then `*`.
    Mask,
    /// The value or `*`.
    Suppress,
}

impl HierarchySpec {
    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            HierarchySpec::File(p) => format!(
                "ARX hierarchy {}",
                p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            ),
            HierarchySpec::Interval { widths, .. } => {
                format!("bands of {}", widths.iter().map(u64::to_string).collect::<Vec<_>>().join(", "))
            }
            HierarchySpec::Date => "dates: day, month, year".into(),
            HierarchySpec::UkPostcode => "UK postcodes: sector, district, area".into(),
            HierarchySpec::Mask => "masking from the right".into(),
            HierarchySpec::Suppress => "kept or suppressed".into(),
        }
    }
}

/// Which l-diversity variant a sensitive attribute needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Diversity {
    /// At least l distinct values in every class.
    Distinct,
    /// The entropy of the values in every class is at least log2(l).
    Entropy,
    /// Recursive (c,l): the most frequent value count r1 < c (r_l + ... + r_m).
    Recursive {
        /// The constant c.
        c: f64,
    },
}

/// A sensitive attribute and its l-diversity requirement.
#[derive(Debug, Clone)]
pub struct Sensitive {
    /// The input column.
    pub column: String,
    /// The l in l-diversity.
    pub l: u64,
    /// The variant.
    pub diversity: Diversity,
}

/// An aggregate table: counts by some columns, with small-number suppression and rounding.
#[derive(Debug, Clone)]
pub struct Table {
    /// File name stem: `tables/<name>.csv`.
    pub name: String,
    /// The columns to count by.
    pub group_by: Vec<String>,
    /// Counts from 1 to this minus one are suppressed (`*`).
    pub suppress_below: u64,
    /// Shown counts are rounded to the nearest multiple of this.
    pub round_to: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    k: i64,
    suppression_limit: Option<f64>,
    metric: Option<Metric>,
    recoding: Option<String>,
    #[serde(default)]
    drop: Vec<String>,
    #[serde(default)]
    quasi_identifier: Vec<RawQi>,
    #[serde(default)]
    sensitive: Vec<RawSensitive>,
    #[serde(default)]
    table: Vec<RawTable>,
    sampling_fraction: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQi {
    column: String,
    hierarchy: RawHierarchy,
    weight: Option<f64>,
    max_level: Option<i64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawHierarchy {
    File(String),
    Builtin(RawBuiltin),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuiltin {
    builtin: String,
    widths: Option<Vec<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSensitive {
    column: String,
    l: i64,
    diversity: Option<String>,
    c: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: String,
    group_by: Vec<String>,
    suppress_below: Option<i64>,
    round_to: Option<i64>,
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Policy::parse(&text, base).map_err(|message| Error::Policy { path: path.into(), message })
    }

    /// Parses policy text; relative hierarchy paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Policy, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        if raw.k < 1 {
            return Err(format!("k must be at least 1, got {}", raw.k));
        }
        let suppression_limit = raw.suppression_limit.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&suppression_limit) {
            return Err(format!("suppression_limit must be between 0 and 1, got {suppression_limit}"));
        }
        let recoding = match raw.recoding.as_deref() {
            None | Some("global") => Recoding::Global,
            Some("local") => Recoding::Local,
            Some(other) => {
                return Err(format!("recoding must be \"global\" or \"local\", got \"{other}\""));
            }
        };
        let sampling_fraction = raw.sampling_fraction.unwrap_or(1.0);
        if !(sampling_fraction > 0.0 && sampling_fraction <= 1.0) {
            return Err(format!("sampling_fraction must be in (0, 1], got {sampling_fraction}"));
        }
        let mut seen: Vec<(&str, &str)> = Vec::new();
        let empty = |name: &str| {
            if name.is_empty() { Err("a column name is empty".to_string()) } else { Ok(()) }
        };
        let mut quasi_identifiers = Vec::new();
        for q in &raw.quasi_identifier {
            empty(&q.column)?;
            let hierarchy = match &q.hierarchy {
                RawHierarchy::File(p) => HierarchySpec::File(base.join(p)),
                RawHierarchy::Builtin(b) => builtin(&b.builtin, b.widths.clone(), &q.column)?,
            };
            if let Some(w) = q.weight
                && !(w.is_finite() && w >= 0.0)
            {
                return Err(format!(
                    "quasi_identifier '{}': weight must be a finite number >= 0, got {w}",
                    q.column
                ));
            }
            let max_level = match q.max_level {
                None => None,
                Some(l) if (0..=255).contains(&l) => Some(l as u8),
                Some(l) => {
                    return Err(format!(
                        "quasi_identifier '{}': max_level must be a level of its hierarchy (0 or more), got {l}",
                        q.column
                    ));
                }
            };
            quasi_identifiers.push(QuasiIdentifier {
                column: q.column.clone(),
                hierarchy,
                weight: q.weight,
                max_level,
            });
        }
        if !raw.quasi_identifier.is_empty() && quasi_identifiers.iter().all(|q| q.weight == Some(0.0)) {
            return Err("every quasi_identifier has weight = 0; at least one weight must be positive".into());
        }
        let mut sensitive = Vec::new();
        for s in &raw.sensitive {
            empty(&s.column)?;
            if s.l < 1 {
                return Err(format!("sensitive column '{}': l must be at least 1, got {}", s.column, s.l));
            }
            let diversity = match s.diversity.as_deref().unwrap_or("distinct") {
                "distinct" => Diversity::Distinct,
                "entropy" => Diversity::Entropy,
                "recursive" => {
                    let c = s.c.ok_or_else(|| {
                        format!("sensitive column '{}': recursive (c,l)-diversity needs c", s.column)
                    })?;
                    if !(c > 0.0 && c.is_finite()) {
                        return Err(format!("sensitive column '{}': c must be positive, got {c}", s.column));
                    }
                    Diversity::Recursive { c }
                }
                other => {
                    return Err(format!(
                        "sensitive column '{}': unknown diversity '{other}' (use distinct, entropy or recursive)",
                        s.column
                    ));
                }
            };
            if s.c.is_some() && !matches!(diversity, Diversity::Recursive { .. }) {
                return Err(format!(
                    "sensitive column '{}': c applies only to diversity = \"recursive\"",
                    s.column
                ));
            }
            sensitive.push(Sensitive { column: s.column.clone(), l: s.l as u64, diversity });
        }
        for (role, col) in raw
            .drop
            .iter()
            .map(|c| ("drop", c.as_str()))
            .chain(quasi_identifiers.iter().map(|q| ("quasi_identifier", q.column.as_str())))
            .chain(sensitive.iter().map(|s| ("sensitive", s.column.as_str())))
        {
            if let Some((other, _)) = seen.iter().find(|(_, c)| *c == col) {
                return Err(format!("column '{col}' is listed twice (as {other} and as {role})"));
            }
            seen.push((role, col));
        }
        if quasi_identifiers.is_empty() {
            return Err("no [[quasi_identifier]]: nothing to anonymise".into());
        }
        let mut tables = Vec::new();
        for t in &raw.table {
            if t.name.is_empty() || !t.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "table name '{}' must be letters, digits, '_' or '-' (it names tables/<name>.csv)",
                    t.name
                ));
            }
            if tables.iter().any(|x: &Table| x.name == t.name) {
                return Err(format!("table '{}' is defined twice", t.name));
            }
            if t.group_by.is_empty() {
                return Err(format!("table '{}': group_by is empty", t.name));
            }
            for c in &t.group_by {
                if raw.drop.contains(c) {
                    return Err(format!("table '{}' groups by '{c}', which the policy drops", t.name));
                }
                if t.group_by.iter().filter(|x| *x == c).count() > 1 {
                    return Err(format!("table '{}' groups by '{c}' twice", t.name));
                }
            }
            let suppress_below = t.suppress_below.unwrap_or(8);
            let round_to = t.round_to.unwrap_or(5);
            if suppress_below < 0 || round_to < 1 {
                return Err(format!(
                    "table '{}': suppress_below must be >= 0 and round_to >= 1, got {suppress_below} and {round_to}",
                    t.name
                ));
            }
            tables.push(Table {
                name: t.name.clone(),
                group_by: t.group_by.clone(),
                suppress_below: suppress_below as u64,
                round_to: round_to as u64,
            });
        }
        Ok(Policy {
            k: raw.k as u64,
            suppression_limit,
            metric: raw.metric.unwrap_or_default(),
            recoding,
            drop: raw.drop,
            quasi_identifiers,
            sensitive,
            tables,
            sampling_fraction,
            text: text.to_string(),
        })
    }
}

fn builtin(name: &str, widths: Option<Vec<u64>>, column: &str) -> Result<HierarchySpec, String> {
    let spec = match name {
        "age" => HierarchySpec::Interval {
            widths: widths.clone().unwrap_or_else(|| vec![5, 10, 20]),
            range: Some((0, 150)),
        },
        "interval" => HierarchySpec::Interval {
            widths: widths
                .clone()
                .ok_or_else(|| format!("column '{column}': builtin \"interval\" needs widths = [...]"))?,
            range: None,
        },
        "date" => HierarchySpec::Date,
        "uk-postcode" => HierarchySpec::UkPostcode,
        "mask" => HierarchySpec::Mask,
        "suppress" => HierarchySpec::Suppress,
        other => {
            return Err(format!(
                "column '{column}': unknown builtin hierarchy '{other}' \
                 (use age, interval, date, uk-postcode, mask or suppress)"
            ));
        }
    };
    if let HierarchySpec::Interval { widths, .. } = &spec {
        if widths.is_empty() || widths.contains(&0) {
            return Err(format!("column '{column}': widths must be positive, got {widths:?}"));
        }
        for w in widths.windows(2) {
            if w[1] % w[0] != 0 {
                return Err(format!(
                    "column '{column}': band widths must nest (each a multiple of the one before), \
                     but {} is not a multiple of {}",
                    w[1], w[0]
                ));
            }
        }
    } else if widths.is_some() {
        return Err(format!("column '{column}': widths applies only to builtin \"age\" and \"interval\""));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Policy, String> {
        Policy::parse(t, Path::new("/p"))
    }

    #[test]
    fn design_md_example_parses() {
        let p = parse(
            r#"
k = 5
suppression_limit = 0.02
metric = "loss"
drop = ["nhs_number", "name"]
[[quasi_identifier]]
column = "age"
hierarchy = "hierarchies/age.csv"
[[quasi_identifier]]
column = "postcode"
hierarchy = { builtin = "uk-postcode" }
[[sensitive]]
column = "diagnosis"
l = 2
[[table]]
name = "admissions_by_region_age_sex"
group_by = ["region", "age", "sex"]
suppress_below = 8
round_to = 5
"#,
        )
        .unwrap();
        assert_eq!(p.k, 5);
        assert_eq!(p.metric, Metric::Loss);
        assert_eq!(p.quasi_identifiers[0].hierarchy, HierarchySpec::File("/p/hierarchies/age.csv".into()));
        assert_eq!(p.quasi_identifiers[1].hierarchy, HierarchySpec::UkPostcode);
        assert_eq!(p.sensitive[0].diversity, Diversity::Distinct);
        assert_eq!(p.tables[0].suppress_below, 8);
    }

    #[test]
    fn priorities_parse() {
        let p = parse(
            "k = 2\n[[quasi_identifier]]\ncolumn = \"a\"\nhierarchy = { builtin = \"age\" }\nweight = 2\nmax_level = 1\n\
             [[quasi_identifier]]\ncolumn = \"b\"\nhierarchy = { builtin = \"mask\" }\nweight = 0.5\n\
             [[quasi_identifier]]\ncolumn = \"c\"\nhierarchy = { builtin = \"mask\" }\nweight = 0\n",
        )
        .unwrap();
        let q = &p.quasi_identifiers;
        assert_eq!((q[0].weight, q[0].max_level), (Some(2.0), Some(1)));
        assert_eq!((q[1].weight, q[1].max_level), (Some(0.5), None));
        assert_eq!(q[2].weight, Some(0.0));
    }

    #[test]
    fn rejects_with_reasons() {
        let qi = "[[quasi_identifier]]\ncolumn = \"a\"\nhierarchy = { builtin = \"mask\" }\n";
        for (text, want) in [
            (format!("k = 0\n{qi}"), "k must be at least 1"),
            (format!("k = 2\nsuppression_limit = 1.5\n{qi}"), "suppression_limit"),
            (format!("k = 2\nmetric = \"fast\"\n{qi}"), "unknown variant"),
            (format!("k = 2\nrecoding = \"cell\"\n{qi}"), "recoding must be \"global\" or \"local\", got \"cell\""),
            ("k = 2\n".to_string(), "no [[quasi_identifier]]"),
            (format!("k = 2\nkk = 3\n{qi}"), "unknown field"),
            (format!("k = 2\ndrop = [\"a\"]\n{qi}"), "listed twice"),
            (
                "k = 2\n[[quasi_identifier]]\ncolumn = \"a\"\nhierarchy = { builtin = \"zip\" }\n".into(),
                "unknown builtin hierarchy 'zip'",
            ),
            (
                "k = 2\n[[quasi_identifier]]\ncolumn = \"a\"\nhierarchy = { builtin = \"age\", widths = [5, 7] }\n"
                    .into(),
                "7 is not a multiple of 5",
            ),
            (format!("k = 2\n{qi}[[sensitive]]\ncolumn = \"d\"\nl = 2\ndiversity = \"recursive\"\n"), "needs c"),
            (format!("k = 2\n{qi}weight = -1\n"), "quasi_identifier 'a': weight must be a finite number >= 0, got -1"),
            (format!("k = 2\n{qi}weight = nan\n"), "quasi_identifier 'a': weight must be a finite number >= 0, got NaN"),
            (format!("k = 2\n{qi}weight = inf\n"), "weight must be a finite number"),
            (
                format!("k = 2\n{qi}weight = 0\n{}weight = 0.0\n", qi.replace("\"a\"", "\"b\"")),
                "every quasi_identifier has weight = 0",
            ),
            (format!("k = 2\n{qi}max_level = -1\n"), "quasi_identifier 'a': max_level must be"),
            (format!("k = 2\n{qi}[[table]]\nname = \"../x\"\ngroup_by = [\"a\"]\n"), "table name"),
            (format!("k = 2\ndrop = [\"n\"]\n{qi}[[table]]\nname = \"t\"\ngroup_by = [\"n\"]\n"), "drops"),
        ] {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(want), "{text}\n→ {err}\nwant {want}");
        }
    }
}
