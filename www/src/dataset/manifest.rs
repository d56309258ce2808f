//! A file checked in this browser against what the release's manifest lists for it.

use super::Checked;
use crate::state::release::FileState;

/// Compares a checked file with what the manifest lists for it: the verifier's comparison
/// ([`verifier::check_listed_file`], as `ledgerless verify` makes it), in this page's words.
pub fn judge(expected: &verifier::Resource, got: &Checked) -> FileState {
    let digest = verifier::FileDigest { bytes: got.bytes, sha256: got.sha256 };
    match verifier::check_listed_file(expected, Some(&digest)) {
        verifier::FileFinding::Verified => FileState::Verified,
        verifier::FileFinding::Size { got, listed } => {
            FileState::Altered(format!("{got} bytes, the manifest lists {listed}"))
        }
        verifier::FileFinding::Digest { .. } => FileState::Altered("same size, different SHA-256".to_owned()),
        verifier::FileFinding::Missing | verifier::FileFinding::Extra => FileState::Missing,
        verifier::FileFinding::BadListing(e) => FileState::Failed(e),
    }
}

/// Which listed file a dropped file is: the one with its exact path, else the only one with
/// its name (a file dropped on its own has no directory). A bare name that several listed
/// files share (`a.csv`, `t/a.csv`) matches none: judging it against either would be a guess.
pub fn match_file(manifest: &verifier::Manifest, name: &str) -> Option<usize> {
    let files = &manifest.related_resource;
    if name.contains('/')
        && let Some(i) = files.iter().position(|r| r.id == name)
    {
        return Some(i);
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    let mut same = files.iter().enumerate().filter(|(_, r)| r.id.rsplit('/').next() == Some(base));
    match (same.next(), same.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::fixtures::*;
    use crate::dataset::{FileCheck, confirm, recount_spec};

    #[test]
    fn files_are_matched_judged_and_recounted() {
        let m = manifest();
        assert_eq!(match_file(&m, "microdata.csv"), Some(0));
        assert_eq!(match_file(&m, "tables/a.csv"), Some(1));
        assert_eq!(match_file(&m, "a.csv"), None, "two files are called a.csv");
        assert_eq!(match_file(&m, "report.json"), Some(3));
        assert_eq!(match_file(&m, "other.csv"), None);
        let checked = |bytes: &[u8]| {
            let mut f = FileCheck::new(None);
            f.update(bytes);
            f.finish()
        };
        let r = &m.related_resource[0];
        assert_eq!(judge(r, &checked(b"abc")), FileState::Verified);
        assert_eq!(judge(r, &checked(b"abd")), FileState::Altered("same size, different SHA-256".into()));
        assert_eq!(judge(r, &checked(b"abcd")), FileState::Altered("4 bytes, the manifest lists 3".into()));
        assert_eq!(recount_spec(&m, &m.related_resource[1]), None, "a table has not every QI");
        assert_eq!(recount_spec(&m, &m.related_resource[3]), None);
        let spec = recount_spec(&m, r).expect("microdata is recounted");
        assert_eq!(spec, self::spec());
        let rc = run(CSV, 5).expect("recount");
        assert_eq!(
            confirm(&m, &rc),
            (
                true,
                "Confirmed on this computer: 7 rows in 2 classes, the smallest has 3 rows (k = 3), diagnosis l = 2; 1 rows suppressed."
                    .to_owned()
            )
        );
        let mut lying = m.clone();
        lying.privacy.achieved_k = 5;
        lying.privacy.achieved_l = vec![("diagnosis".into(), 3)];
        let (ok, why) = confirm(&lying, &rc);
        assert!(!ok);
        assert!(why.contains("the smallest class has 3 rows, the claim is k = 5"), "{why}");
        assert!(
            why.contains("diagnosis: the fewest distinct values in a class is 2, the claim is l = 3"),
            "{why}"
        );
        // A claimed l for a column the file lacks: the recount cannot run (the verifier's spec
        // keeps every claimed column), so the claims are not confirmed.
        let mut other = m.clone();
        other.privacy.achieved_l.push(("outcome".into(), 1));
        let spec = recount_spec(&other, &other.related_resource[0]).expect("microdata is recounted");
        assert_eq!(spec.sensitive, ["diagnosis", "outcome"]);
        let mut f = FileCheck::new(Some(spec));
        f.update(CSV.as_bytes());
        assert_eq!(f.finish().recount, Some(Err("the file has no column \"outcome\"".to_owned())));
    }
}
