//! Recounting a release's microdata: its equivalence classes (rows sharing every
//! quasi-identifier value) and the distinct sensitive values in each, so anyone can confirm the
//! k and l a manifest claims from the data itself. Pure and streaming: bytes are fed in chunks
//! of any size (the result does not depend on how the file is cut), memory grows with the
//! number of classes and distinct values, not with the number of rows. Used by `publish`
//! (which refuses a report whose claims the data does not bear out), by `verify RELEASEDIR` and
//! by the browser.

use std::collections::{HashMap, HashSet};

use crate::release::{Manifest, Privacy, Resource};

/// What to recount in a CSV: the quasi-identifier columns and the sensitive columns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecountSpec {
    /// Quasi-identifier column names (a class = rows with equal values in all of them).
    pub quasi_identifiers: Vec<String>,
    /// Sensitive columns whose distinct values per class are counted (distinct l).
    pub sensitive: Vec<String>,
}

/// What a recount found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recount {
    /// Data rows (the header excluded).
    pub rows: u64,
    /// Rows whose quasi-identifiers are all `*` (suppressed; they form no class).
    pub suppressed: u64,
    /// Equivalence classes among the other rows.
    pub classes: u64,
    /// The smallest class: the k the data achieves (0 if every row is suppressed).
    pub smallest: u64,
    /// Per sensitive column: the fewest distinct values in any class (distinct l; 0 if there
    /// is no class).
    pub distinct_l: Vec<(String, u64)>,
    /// Per sensitive column: distinct values among the rows whose quasi-identifiers are all
    /// `*` (used only when a release keeps such rows as a class, see [`confirm_recount`]).
    pub suppressed_distinct: Vec<u64>,
}

/// Why a file could not be recounted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecountError {
    /// The file has no header line.
    #[error("the file is empty (no header line)")]
    Empty,
    /// The header lacks a column the manifest names.
    #[error("the file has no column {0:?}")]
    MissingColumn(String),
    /// The header names a column twice (which one is meant would be a guess).
    #[error("the header names column {0:?} twice")]
    DuplicateColumn(String),
    /// A data row has a different number of fields than the header.
    #[error("row {row} has {fields} fields but the header has {header}")]
    Ragged {
        /// One-based data row.
        row: u64,
        /// Its fields.
        fields: usize,
        /// The header's fields.
        header: usize,
    },
    /// A row is longer than [`MAX_RECOUNT_RECORD`] (an unclosed quote, most likely).
    #[error("row {row} is longer than {} MiB (an unclosed quote?): not a table that can be recounted", MAX_RECOUNT_RECORD >> 20)]
    RowTooLong {
        /// One-based data row.
        row: u64,
    },
}

/// The longest row a recount accepts (bytes); an unclosed quote would otherwise make the rest
/// of a 1 GB file one row.
pub const MAX_RECOUNT_RECORD: usize = 16 << 20;

#[derive(Debug, Default)]
struct Class {
    rows: u64,
    /// Per sensitive column, the ids of the distinct values seen.
    sensitive: Vec<HashSet<u32>>,
}

/// Streams a CSV (RFC 4180, as `anonymise` writes it; a UTF-8 byte-order mark is ignored) and
/// counts its classes. Feed it with [`Recounter::update`], then call [`Recounter::finish`].
#[derive(Debug)]
pub struct Recounter {
    spec: RecountSpec,
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    /// Column indices of the quasi-identifiers and sensitive columns, once the header is read.
    columns: Option<(Vec<usize>, Vec<usize>)>,
    width: usize,
    classes: HashMap<Vec<u8>, Class>,
    /// The all-`*` rows, counted apart.
    starred: Class,
    /// Per sensitive column, value → id.
    values: Vec<HashMap<Vec<u8>, u32>>,
    key: Vec<u8>,
    rows: u64,
    suppressed: u64,
    error: Option<RecountError>,
    /// The file's first bytes, held until there are 3: csv-core strips a UTF-8 byte-order
    /// mark only when it arrives whole, and the result must not depend on chunking.
    head: Option<Vec<u8>>,
}

impl Recounter {
    /// A recounter for `spec`.
    pub fn new(spec: RecountSpec) -> Recounter {
        let n = spec.sensitive.len();
        Recounter {
            spec,
            reader: csv_core::Reader::new(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
            columns: None,
            width: 0,
            classes: HashMap::new(),
            starred: Class { rows: 0, sensitive: vec![HashSet::new(); n] },
            values: vec![HashMap::new(); n],
            key: Vec::new(),
            rows: 0,
            suppressed: 0,
            error: None,
            head: Some(Vec::new()),
        }
    }

    /// Feeds the next bytes of the file (an empty chunk is no signal: see [`Recounter::finish`]).
    pub fn update(&mut self, input: &[u8]) {
        if let Some(mut head) = self.head.take() {
            head.extend_from_slice(input);
            if head.len() < 3 {
                self.head = Some(head);
            } else {
                self.parse(&head);
            }
        } else if !input.is_empty() {
            self.parse(input);
        }
    }

    /// Runs csv-core over `input`; an empty `input` tells it the file has ended.
    fn parse(&mut self, mut input: &[u8]) {
        while self.error.is_none() {
            let (res, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                csv_core::ReadRecordResult::InputEmpty => {
                    if input.is_empty() {
                        return;
                    }
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.out.len() * 2;
                    if n > MAX_RECOUNT_RECORD {
                        self.error = Some(RecountError::RowTooLong { row: self.rows + 1 });
                        return;
                    }
                    self.out.resize(n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    self.record();
                    self.out_len = 0;
                    self.ends_len = 0;
                }
                csv_core::ReadRecordResult::End => return,
            }
        }
    }

    fn record(&mut self) {
        let n = self.ends_len;
        let ends = &self.ends[..n];
        let out = &self.out[..];
        let field = |i: usize| -> &[u8] {
            let start = if i == 0 { 0 } else { ends[i - 1] };
            &out[start..ends[i]]
        };
        let Some((qi, sens)) = &self.columns else {
            let names: Vec<String> = (0..n).map(|i| String::from_utf8_lossy(field(i)).into_owned()).collect();
            if let Some(dup) = names.iter().enumerate().find(|(i, x)| names[..*i].contains(x)).map(|(_, x)| x)
            {
                self.error = Some(RecountError::DuplicateColumn(dup.clone()));
                return;
            }
            let find = |c: &String| {
                names.iter().position(|n| n == c).ok_or_else(|| RecountError::MissingColumn(c.clone()))
            };
            let cols =
                self.spec.quasi_identifiers.iter().map(find).collect::<Result<Vec<_>, _>>().and_then(|q| {
                    Ok((q, self.spec.sensitive.iter().map(find).collect::<Result<Vec<_>, _>>()?))
                });
            match cols {
                Ok(c) => self.columns = Some(c),
                Err(e) => self.error = Some(e),
            }
            self.width = n;
            return;
        };
        if n != self.width {
            self.error = Some(RecountError::Ragged { row: self.rows + 1, fields: n, header: self.width });
            return;
        }
        self.rows += 1;
        let starred = qi.iter().all(|&i| field(i) == b"*");
        let class = if starred {
            self.suppressed += 1;
            &mut self.starred
        } else {
            // Length-prefixed fields: no two different rows share a key, whatever the values hold.
            self.key.clear();
            for &i in qi {
                let f = field(i);
                self.key.extend_from_slice(&(f.len() as u64).to_le_bytes());
                self.key.extend_from_slice(f);
            }
            if !self.classes.contains_key(self.key.as_slice()) {
                self.classes
                    .insert(self.key.clone(), Class { rows: 0, sensitive: vec![HashSet::new(); sens.len()] });
            }
            match self.classes.get_mut(self.key.as_slice()) {
                Some(c) => c,
                None => return,
            }
        };
        class.rows += 1;
        for ((set, ids), &i) in class.sensitive.iter_mut().zip(self.values.iter_mut()).zip(sens) {
            let v = field(i);
            let id = match ids.get(v) {
                Some(&id) => id,
                None => {
                    let id = ids.len() as u32;
                    ids.insert(v.to_vec(), id);
                    id
                }
            };
            set.insert(id);
        }
    }

    /// The recount, once every byte was fed.
    ///
    /// # Errors
    /// [`RecountError`] naming what is wrong: a missing or repeated column, a ragged row, a row
    /// too long, no header.
    pub fn finish(mut self) -> Result<Recount, RecountError> {
        if let Some(head) = self.head.take() {
            self.parse(&head);
        }
        self.parse(&[]);
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.columns.is_none() {
            return Err(RecountError::Empty);
        }
        let smallest = self.classes.values().map(|c| c.rows).min().unwrap_or(0);
        let distinct_l = self
            .spec
            .sensitive
            .iter()
            .enumerate()
            .map(|(i, name)| {
                (name.clone(), self.classes.values().map(|c| c.sensitive[i].len() as u64).min().unwrap_or(0))
            })
            .collect();
        Ok(Recount {
            rows: self.rows,
            suppressed: self.suppressed,
            classes: self.classes.len() as u64,
            smallest,
            distinct_l,
            suppressed_distinct: self.starred.sensitive.iter().map(|s| s.len() as u64).collect(),
        })
    }
}

/// Recounts a whole CSV held in memory (tests and small files; stream large ones through
/// [`Recounter`]).
///
/// # Errors
/// As [`Recounter::finish`].
pub fn recount(spec: RecountSpec, csv: &[u8]) -> Result<Recount, RecountError> {
    let mut r = Recounter::new(spec);
    r.update(csv);
    r.finish()
}

/// What to recount in `file` of a release: its quasi-identifiers and the sensitive columns the
/// manifest claims an l for. `None` unless `file` is the release's microdata: a CSV holding
/// every quasi-identifier, with as many rows as the manifest's `records`.
pub fn recount_spec(manifest: &Manifest, file: &Resource) -> Option<RecountSpec> {
    let p = &manifest.privacy;
    let columns = file.columns.as_ref()?;
    if p.quasi_identifiers.is_empty()
        || !p.quasi_identifiers.iter().all(|q| columns.contains(q))
        || file.rows != Some(p.records)
    {
        return None;
    }
    Some(RecountSpec {
        quasi_identifiers: p.quasi_identifiers.clone(),
        sensitive: p.achieved_l.iter().map(|(c, _)| c.clone()).collect(),
    })
}

/// The microdata file of a release: the CSV a recount confirms the privacy claims on
/// (`microdata.csv` when it qualifies, else the first CSV that does), with its spec.
pub fn release_microdata(manifest: &Manifest) -> Option<(&Resource, RecountSpec)> {
    let qualifying = |r: &&Resource| recount_spec(manifest, r).is_some();
    let r = manifest
        .related_resource
        .iter()
        .find(|r| r.id == "microdata.csv")
        .filter(qualifying)
        .or_else(|| manifest.related_resource.iter().find(qualifying))?;
    Some((r, recount_spec(manifest, r)?))
}

/// Compares a recount with the privacy figures claimed for the data; returns what differs, each
/// as a sentence (empty: every claim holds exactly).
///
/// Rows whose quasi-identifiers are all `*` are the suppressed ones. A release may also keep
/// such rows as a class (its generalisation can reach `*` in every quasi-identifier); the
/// figures then hold if those rows beyond the claimed suppressed count form a class at least
/// as large as the claimed k, with at least the claimed l distinct values.
pub fn confirm_recount(claims: &Privacy, r: &Recount) -> Vec<String> {
    let mut problems = Vec::new();
    if r.rows != claims.records {
        problems.push(format!("the data has {} rows, the claim is {}", r.rows, claims.records));
    }
    // Rows with every quasi-identifier `*` beyond those claimed suppressed: a kept class.
    let starred_class = r.suppressed.saturating_sub(claims.suppressed);
    if r.suppressed < claims.suppressed {
        problems.push(format!(
            "{} rows are suppressed (every quasi-identifier `*`), the claim is {}",
            r.suppressed, claims.suppressed
        ));
    }
    let classes = r.classes + u64::from(starred_class > 0);
    let smallest = match (r.classes, starred_class) {
        (0, 0) => 0,
        (0, s) => s,
        (_, 0) => r.smallest,
        (_, s) => r.smallest.min(s),
    };
    if smallest != claims.achieved_k {
        problems.push(if classes == 0 {
            format!("every row is suppressed (no class), the claim is k = {}", claims.achieved_k)
        } else {
            format!("the smallest class has {smallest} rows, the claim is k = {}", claims.achieved_k)
        });
    }
    if classes > 0 && smallest < claims.k {
        problems.push(format!("a class of {smallest} rows is smaller than the policy's k = {}", claims.k));
    }
    for (col, claimed) in &claims.achieved_l {
        let Some((j, (_, l))) = r.distinct_l.iter().enumerate().find(|(_, (c, _))| c == col) else {
            problems.push(format!("the data has no column {col:?}, whose l is claimed"));
            continue;
        };
        // Both lists follow the recount's spec order (not the claims' order); a recount always
        // has one starred figure per sensitive column.
        let starred_l = r.suppressed_distinct.get(j).copied().unwrap_or(0);
        let l = match (r.classes, starred_class) {
            (0, 0) => 0,
            (0, _) => starred_l,
            (_, 0) => *l,
            (_, _) => (*l).min(starred_l),
        };
        if l != *claimed {
            problems.push(format!(
                "{col}: the fewest distinct values in a class is {l}, the claim is l = {claimed}"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RecountSpec {
        RecountSpec { quasi_identifiers: vec!["age".into(), "sex".into()], sensitive: vec!["dx".into()] }
    }

    fn claims(k: u64, l: u64, records: u64, suppressed: u64) -> Privacy {
        Privacy {
            k: 2,
            achieved_k: k,
            achieved_l: vec![("dx".into(), l)],
            quasi_identifiers: vec!["age".into(), "sex".into()],
            records,
            suppressed,
            metric: "loss".into(),
            loss: 0.0,
            entropy_bits: 0.0,
            discernibility: "0".into(),
            recoding: "global".into(),
        }
    }

    const CSV: &[u8] =
        b"\xef\xbb\xbfage,sex,dx\n20-29,F,a\n20-29,F,b\n20-29,F,a\n\"30-39\",M,c\n30-39,M,\"d,e\"\n*,*,z\n";

    #[test]
    fn counts_classes_l_and_suppressed_whatever_the_chunking() {
        let want = recount(spec(), CSV).unwrap();
        assert_eq!(
            want,
            Recount {
                rows: 6,
                suppressed: 1,
                classes: 2,
                smallest: 2,
                distinct_l: vec![("dx".into(), 2)],
                suppressed_distinct: vec![1],
            }
        );
        for size in 1..CSV.len() {
            let mut r = Recounter::new(spec());
            CSV.chunks(size).for_each(|c| r.update(c));
            assert_eq!(r.finish().unwrap(), want, "chunks of {size}");
        }
        assert!(confirm_recount(&claims(2, 2, 6, 1), &want).is_empty());
    }

    #[test]
    fn overstated_or_different_claims_are_named() {
        let r = recount(spec(), CSV).unwrap();
        let p = confirm_recount(&claims(3, 2, 6, 1), &r);
        assert!(p.iter().any(|m| m.contains("smallest class has 2 rows, the claim is k = 3")), "{p:?}");
        let p = confirm_recount(&claims(2, 3, 6, 1), &r);
        assert!(p.iter().any(|m| m.contains("dx") && m.contains("l = 3")), "{p:?}");
        let p = confirm_recount(&claims(2, 2, 7, 1), &r);
        assert!(p.iter().any(|m| m.contains("6 rows")), "{p:?}");
        let p = confirm_recount(&claims(2, 2, 6, 2), &r);
        assert!(p.iter().any(|m| m.contains("1 rows are suppressed")), "{p:?}");
    }

    /// Regression: the kept all-`*` class's l was looked up by the claim's position, not the
    /// column's, so claims listed in another order than the recount compared the wrong column
    /// (here accepting an overstated l for dx).
    #[test]
    fn l_claims_in_any_order_are_compared_column_by_column() {
        let spec = RecountSpec {
            quasi_identifiers: vec!["age".into(), "sex".into()],
            sensitive: vec!["dx".into(), "ward".into()],
        };
        let csv = b"age,sex,dx,ward\n20-29,F,a,w1\n20-29,F,b,w1\n*,*,a,w1\n*,*,a,w2\n*,*,a,w3\n";
        let r = recount(spec, csv).unwrap();
        let with_l = |ward: u64, dx: u64| Privacy {
            achieved_l: vec![("ward".into(), ward), ("dx".into(), dx)],
            ..claims(2, 0, 5, 0)
        };
        assert!(confirm_recount(&with_l(1, 1), &r).is_empty(), "{:?}", confirm_recount(&with_l(1, 1), &r));
        let p = confirm_recount(&with_l(1, 2), &r);
        assert!(p.iter().any(|m| m.starts_with("dx:") && m.contains("is 1, the claim is l = 2")), "{p:?}");
    }

    #[test]
    fn an_all_star_class_may_be_kept() {
        // Generalised to `*` everywhere and nothing suppressed: one class of every row.
        let r = recount(spec(), b"age,sex,dx\n*,*,a\n*,*,b\n*,*,a\n").unwrap();
        assert!(confirm_recount(&claims(3, 2, 3, 0), &r).is_empty());
        assert!(!confirm_recount(&claims(4, 2, 3, 0), &r).is_empty());
        assert!(!confirm_recount(&claims(3, 3, 3, 0), &r).is_empty());
    }

    #[test]
    fn empty_chunks_and_a_split_byte_order_mark_change_nothing() {
        let want = recount(spec(), CSV).unwrap();
        for cut in 0..8 {
            let mut r = Recounter::new(spec());
            let (a, b) = CSV.split_at(cut);
            for part in [&[][..], a, &[], &[], b, &[]] {
                r.update(part);
            }
            assert_eq!(r.finish().unwrap(), want, "cut at {cut}");
        }
    }

    #[test]
    fn other_columns_quoted_separators_and_no_final_newline() {
        // Columns outside the spec are ignored; a quoted field may hold the separator.
        let csv = "age,sex,dx,stay\n20-29,F,J06,1\n20-29,F,I10,2\n20-29,F,J06,3\n\
            \"30-39\",M,\"E11, type 2\",4\n30-39,M,E11,1\n*,*,Z00,0\n30-39,M,I10,9\n";
        let want = recount(spec(), csv.as_bytes()).unwrap();
        assert_eq!((want.rows, want.suppressed, want.classes, want.smallest), (7, 1, 2, 3));
        assert_eq!(
            (&want.distinct_l[..], &want.suppressed_distinct[..]),
            (&[("dx".into(), 2)][..], &[1][..])
        );
        for size in [1, 2, 3, 7, 64] {
            let mut r = Recounter::new(spec());
            csv.as_bytes().chunks(size).for_each(|c| r.update(c));
            assert_eq!(r.finish().unwrap(), want, "chunks of {size}");
        }
        let r = recount(spec(), b"age,sex,dx\n\"1,2\",F,a\n1,\"2,F\",b\n\"1,2\",F,c").unwrap();
        // "1,2"+"F" and "1"+"2,F" are different classes even though their joined text is equal.
        assert_eq!((r.rows, r.classes, r.smallest), (3, 2, 1));
        assert_eq!(r.distinct_l, vec![("dx".into(), 1)]);
    }

    #[test]
    fn a_decoy_column_or_an_endless_row_is_refused() {
        // A decoy first "age" column must not stand in for the real one.
        assert_eq!(
            recount(spec(), b"age,age,sex,dx\nX,1,F,a\nX,2,F,b\n").unwrap_err(),
            RecountError::DuplicateColumn("age".into())
        );
        let mut r = Recounter::new(spec());
        r.update(b"age,sex,dx\n1,F,a\n\"");
        for _ in 0..20 {
            r.update(&[b'x'; 1 << 20]);
        }
        let e = r.finish().unwrap_err();
        assert_eq!(e, RecountError::RowTooLong { row: 2 });
        assert!(e.to_string().contains("longer than 16 MiB"), "{e}");
    }

    #[test]
    fn header_names_are_unescaped_and_problems_typed() {
        let s = RecountSpec { quasi_identifiers: vec!["na\"me".into()], sensitive: vec![] };
        assert_eq!(recount(s, b"\"na\"\"me\",x\nA,1\nA,2\n").unwrap().smallest, 2);
        assert_eq!(recount(spec(), b"").unwrap_err(), RecountError::Empty);
        assert_eq!(recount(spec(), b"age,dx\n").unwrap_err(), RecountError::MissingColumn("sex".into()));
        assert_eq!(
            recount(spec(), b"age,sex,dx,age\n").unwrap_err(),
            RecountError::DuplicateColumn("age".into())
        );
        assert_eq!(
            recount(spec(), b"age,sex,dx\n1,F\n").unwrap_err(),
            RecountError::Ragged { row: 1, fields: 2, header: 3 }
        );
        assert_eq!(
            recount(spec(), b"age,sex,dx\n1,F,a\n1,F,b\n1,F\n").unwrap_err(),
            RecountError::Ragged { row: 3, fields: 2, header: 3 }
        );
    }
}
