//! Checking the files of a published release in the browser, by concern: [`hashing`] (the
//! streaming SHA-256 and size of a file fed in chunks, with the recount fed the same chunks),
//! [`recount`] (which file is recounted and whether the recount confirms the manifest's k and
//! l, in the verifier's words) and [`manifest`] (a checked file against the manifest's
//! listing). Pure: the Web Worker ([`crate::worker`]) feeds it chunks; tested natively.

pub mod hashing;
pub mod manifest;
pub mod recount;

pub use hashing::{Checked, FileCheck};
pub use manifest::{judge, match_file};
pub use recount::{confirm, microdata_spec, no_microdata};

/// The recount is the verifier's: the same spec (which file, which columns), the same counts.
pub use verifier::{Recount, RecountSpec, recount_spec};

/// Shared test data: the microdata's spec and CSV, its recount, and a manifest listing it.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use sha2::Digest as _;

    pub(crate) fn spec() -> RecountSpec {
        RecountSpec {
            quasi_identifiers: vec!["age".into(), "sex".into()],
            sensitive: vec!["diagnosis".into()],
        }
    }

    /// The page's recount of `csv` fed in chunks: [`FileCheck`] with the microdata's spec.
    pub(crate) fn run(csv: &str, chunk: usize) -> Result<Recount, String> {
        let mut f = FileCheck::new(Some(spec()));
        for c in csv.as_bytes().chunks(chunk) {
            f.update(c);
        }
        let checked = f.finish();
        assert_eq!(checked.bytes, csv.len() as u64);
        checked.recount.expect("a recount was asked for")
    }

    /// The microdata of [`manifest`]: 7 rows, one suppressed, classes of 3 and 3, l = 2.
    pub(crate) const CSV: &str = "age,sex,diagnosis,stay\n\
        20-29,F,J06,1\n20-29,F,I10,2\n20-29,F,J06,3\n\
        \"30-39\",M,\"E11, type 2\",4\n30-39,M,E11,1\n\
        *,*,Z00,0\n30-39,M,I10,9\n";

    /// The recount of [`CSV`] with its smallest class made `smallest` rows.
    pub(crate) fn recounted_with(smallest: u64) -> Recount {
        Recount { smallest, ..run(CSV, 4096).expect("recount") }
    }

    pub(crate) fn manifest() -> verifier::Manifest {
        let sri = verifier::digest_sri(&sha2::Sha256::digest(b"abc").into());
        serde_json::from_value(serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"], "format": verifier::MANIFEST_FORMAT,
            "publisher": "p.example/log", "name": "r", "created": "2026-01-01T00:00:00Z", "tool": "t",
            "policy": {"sha256": "00", "text": ""},
            "privacy": {"k": 3, "achievedK": 3, "achievedL": [["diagnosis", 2]],
                "quasiIdentifiers": ["age", "sex"], "records": 7, "suppressed": 1, "metric": "loss",
                "loss": 0.5, "entropyBits": 1.0, "discernibility": "1"},
            "relatedResource": [
                {"id": "microdata.csv", "mediaType": "text/csv", "digestSRI": sri, "bytes": 3,
                 "rows": 7, "columns": ["age", "sex", "diagnosis", "stay"], "rowsRoot": verifier::Hash::default().to_base64()},
                {"id": "tables/a.csv", "mediaType": "text/csv", "digestSRI": sri, "bytes": 3,
                 "rows": 1, "columns": ["age", "count"], "rowsRoot": verifier::Hash::default().to_base64()},
                {"id": "x/a.csv", "mediaType": "text/csv", "digestSRI": sri, "bytes": 3},
                {"id": "report.json", "mediaType": "application/json", "digestSRI": sri, "bytes": 3}]
        }))
        .expect("manifest")
    }
}
