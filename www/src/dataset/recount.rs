//! The recount of a release's microdata: which listed file is recounted, and whether its
//! recount confirms the manifest's claims, in the verifier's words.

use super::{Recount, RecountSpec};

/// The recount to run while checking `file`: only for the release's microdata file
/// ([`verifier::release_microdata`], the one `ledgerless verify` recounts), never for another
/// file that merely has the columns.
pub fn microdata_spec(manifest: &verifier::Manifest, file: &verifier::Resource) -> Option<RecountSpec> {
    verifier::release_microdata(manifest).filter(|(r, _)| r.id == file.id).map(|(_, spec)| spec)
}

/// Why the manifest's claims can never be recounted (no listed CSV qualifies), in the words
/// `ledgerless verify` uses; `None` when it lists its microdata.
pub use verifier::no_microdata;

/// Whether a recount confirms the manifest's claims, with a sentence saying so. The verdict
/// and its wording are [`verifier::confirm_recount`]'s, as `ledgerless verify` gives them.
pub fn confirm(manifest: &verifier::Manifest, r: &Recount) -> (bool, String) {
    let p = &manifest.privacy;
    let problems = verifier::confirm_recount(p, r);
    if !problems.is_empty() {
        return (false, format!("The recount does not match: {}.", problems.join("; ")));
    }
    // Every claim holds exactly, so the figures below are the recount's. Rows with every
    // quasi-identifier `*` beyond the suppressed ones are a class of their own.
    let kept = r.suppressed > p.suppressed;
    let classes = r.classes + u64::from(kept);
    let kept = if kept {
        format!(" (one of {} rows with every quasi-identifier `*`)", r.suppressed - p.suppressed)
    } else {
        String::new()
    };
    let l: String = p.achieved_l.iter().map(|(c, l)| format!(", {c} l = {l}")).collect();
    (
        true,
        format!(
            "Confirmed on this computer: {} rows in {classes} classes{kept}, the smallest has {} rows (k = {}){l}; {} rows suppressed.",
            r.rows, p.achieved_k, p.achieved_k, p.suppressed
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::fixtures::*;

    #[test]
    fn a_class_of_rows_with_every_quasi_identifier_starred_may_be_kept() {
        // Generalised to `*` everywhere and nothing suppressed: one class of every row.
        let mut m = manifest();
        (m.privacy.records, m.privacy.suppressed) = (3, 0);
        let rc = run("age,sex,diagnosis,stay\n*,*,a,1\n*,*,b,2\n*,*,a,3\n", 2).expect("recount");
        assert_eq!((rc.suppressed, rc.classes), (3, 0));
        let (ok, why) = confirm(&m, &rc);
        assert!(ok, "{why}");
        assert!(why.contains("3 rows in 1 classes (one of 3 rows with every quasi-identifier `*`)"), "{why}");
        m.privacy.achieved_k = 4;
        let (ok, why) = confirm(&m, &rc);
        assert!(!ok && why.contains("the smallest class has 3 rows, the claim is k = 4"), "{why}");
        // Fewer starred rows than the claimed suppressed ones is a contradiction, not a class.
        m.privacy.suppressed = 4;
        assert!(confirm(&m, &rc).1.contains("3 rows are suppressed"), "{}", confirm(&m, &rc).1);
    }
}
