//! The release page's state and its reducer: the verified manifest, each listed (or extra)
//! file's progress to its verdict, the recount, and the headline they add up to. Pure: the page
//! dispatches [`ReleaseAction`]s (the worker's [`Reply`]s among them); tested natively.

use crate::dataset::{confirm, judge, microdata_spec, no_microdata};
use crate::worker::Reply;

/// Where one listed file of a release stands in this browser.
#[derive(Debug, Clone, PartialEq)]
pub enum FileState {
    /// Not checked yet (not fetched, not dropped).
    Waiting,
    /// Being hashed: bytes done of total (0 if unknown).
    Hashing(u64, u64),
    /// Same size and SHA-256 as the manifest lists.
    Verified,
    /// Different content: what differs.
    Altered(String),
    /// Not on the site (HTTP 404).
    Missing,
    /// Could not be read.
    Failed(String),
}

impl FileState {
    /// The word shown and used as `data-status`.
    pub fn word(&self) -> &'static str {
        match self {
            FileState::Waiting => "waiting",
            FileState::Hashing(..) => "hashing",
            FileState::Verified => "verified",
            FileState::Altered(_) => "altered",
            FileState::Missing => "missing",
            FileState::Failed(_) => "failed",
        }
    }
}

/// One listed (or extra) file as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    /// Its path in the release (or the dropped file's name, for an extra).
    pub id: String,
    /// What the manifest lists; `None` for a file the manifest does not list (extra).
    pub listed: Option<verifier::Resource>,
    /// Where it stands.
    pub state: FileState,
    /// The class recount and whether it confirms the manifest, for the microdata.
    pub recount: Option<Result<(bool, String), String>>,
}

/// The release page's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseState {
    /// Which load this state belongs to: answers for an earlier link are dropped.
    pub load: u32,
    /// Where the bundle came from.
    pub source: String,
    /// The bundle's verification report.
    pub report: Option<verifier::Report>,
    /// The manifest, once parsed (even if verification failed, to show what it claims).
    pub manifest: Option<verifier::Manifest>,
    /// The bundle's URL on this site, when it came from a link (files are fetched next to it).
    pub base: Option<String>,
    /// Listed files first (in manifest order), then extras.
    pub files: Vec<FileRow>,
    /// Worker jobs still running: job id → row. A row checked again (fetched, then dropped)
    /// follows its newest job only; replies for unknown jobs are dropped.
    pub jobs: std::collections::HashMap<u32, usize>,
    /// The latest row proof checked: its report and the proof.
    pub row: Option<(verifier::Report, Option<verifier::RowProof>)>,
    /// A problem with the input itself.
    pub error: Option<String>,
    /// When the trust list is this browser's saved copy (the site did not answer), when it was
    /// saved (POSIX seconds): the release is then never valid (the site could not confirm the
    /// publisher is still trusted). Kept across loads.
    pub trust_saved_at: Option<i64>,
}

/// What can happen on the release page.
#[derive(Debug, Clone)]
pub enum ReleaseAction {
    /// Load number `n` started (a new link or bundle): everything shown before goes.
    Loading(u32),
    /// Load `n` verified its bundle: source, report, manifest, base URL.
    Loaded(u32, String, verifier::Report, Option<verifier::Manifest>, Option<String>),
    /// Load `n` failed before there was a bundle to verify.
    LoadFailed(u32, String),
    /// Something the user did could not be done (the page stays as it is).
    Error(String),
    /// Job `job` checks the listed file in row `row`.
    Start(u32, usize),
    /// Job `job` checks a dropped file the manifest does not list: a new row.
    Extra(u32, String),
    /// The worker answered.
    Worker(Reply),
    /// The worker stopped working (it failed to load or crashed): running jobs fail.
    WorkerFailed(String),
    /// A row proof was checked.
    Row(verifier::Report, Option<verifier::RowProof>),
    /// The trust list is this browser's copy saved at this time (`None`: the site's answer).
    TrustSavedAt(Option<i64>),
}

impl ReleaseState {
    /// The reducer.
    pub fn reduce(mut self, action: ReleaseAction) -> ReleaseState {
        match action {
            ReleaseAction::Loading(n) => {
                self = ReleaseState {
                    load: n,
                    row: self.row,
                    trust_saved_at: self.trust_saved_at,
                    ..ReleaseState::default()
                };
            }
            ReleaseAction::Loaded(n, source, report, manifest, base) if n == self.load => {
                self.files = match (&manifest, report.verified) {
                    (Some(m), true) => m
                        .related_resource
                        .iter()
                        .map(|r| FileRow {
                            id: r.id.clone(),
                            listed: Some(r.clone()),
                            state: FileState::Waiting,
                            recount: None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                self.jobs.clear();
                (self.source, self.report, self.manifest, self.base, self.error) =
                    (source, Some(report), manifest, base, None);
            }
            ReleaseAction::LoadFailed(n, e) if n == self.load => self.error = Some(e),
            ReleaseAction::Loaded(..) | ReleaseAction::LoadFailed(..) => {}
            ReleaseAction::Error(e) => self.error = Some(e),
            ReleaseAction::Start(job, row) => {
                if let Some(f) = self.files.get_mut(row) {
                    (f.state, f.recount) = (FileState::Hashing(0, 0), None);
                    self.jobs.retain(|_, r| *r != row);
                    self.jobs.insert(job, row);
                }
            }
            ReleaseAction::Extra(job, name) => {
                self.files.push(FileRow {
                    id: name,
                    listed: None,
                    state: FileState::Hashing(0, 0),
                    recount: None,
                });
                self.jobs.insert(job, self.files.len() - 1);
            }
            ReleaseAction::Worker(reply) => self.worker(reply),
            ReleaseAction::WorkerFailed(e) => {
                for row in std::mem::take(&mut self.jobs).into_values() {
                    if let Some(f) = self.files.get_mut(row) {
                        f.state = FileState::Failed(e.clone());
                    }
                }
            }
            ReleaseAction::Row(report, proof) => self.row = Some((report, proof)),
            ReleaseAction::TrustSavedAt(at) => self.trust_saved_at = at,
        }
        self
    }

    fn worker(&mut self, reply: Reply) {
        let job = match &reply {
            Reply::Ready => return,
            Reply::Progress(id, ..) | Reply::Done(id, _) | Reply::Missing(id) | Reply::Failed(id, _) => *id,
        };
        let Some(&row) = self.jobs.get(&job) else { return };
        let finished = !matches!(reply, Reply::Progress(..));
        if finished {
            self.jobs.remove(&job);
        }
        let manifest = self.manifest.clone();
        let Some(f) = self.files.get_mut(row) else { return };
        match reply {
            Reply::Ready => {}
            Reply::Progress(_, done, total) => f.state = FileState::Hashing(done, total),
            Reply::Missing(_) => f.state = FileState::Missing,
            Reply::Failed(_, e) => f.state = FileState::Failed(e),
            Reply::Done(_, checked) => {
                f.state = match &f.listed {
                    Some(r) => judge(r, &checked),
                    None => FileState::Verified,
                };
                // A recount is only worth showing for the microdata file as published.
                let microdata = match (&manifest, &f.listed) {
                    (Some(m), Some(r)) => microdata_spec(m, r).is_some(),
                    _ => false,
                };
                f.recount = match (checked.recount, &manifest, &f.state) {
                    (Some(Ok(rc)), Some(m), FileState::Verified) if microdata => Some(Ok(confirm(m, &rc))),
                    (Some(Err(e)), _, FileState::Verified) if microdata => Some(Err(e)),
                    _ => None,
                };
            }
        }
    }

    /// The headline: `data-verdict` (`valid`, `invalid` or `unchecked`) and its word. The
    /// manifest's verification alone is `unchecked` ("Manifest verified; files not checked
    /// yet"), never `valid`; then every file checked counts: an altered, missing or unreadable
    /// file, a recount that disagrees with the manifest, or a manifest listing no microdata to
    /// recount makes the release invalid (as `ledgerless verify` says NOT VERIFIED); "Valid"
    /// only once every listed file is verified and the microdata
    /// ([`verifier::release_microdata`]) recounted, confirming the claims. `None` before a
    /// bundle was verified.
    pub fn headline(&self) -> Option<(&'static str, String)> {
        let r = self.report.as_ref()?;
        if !r.verified {
            return Some(crate::checks::unverified_release(r));
        }
        if self.manifest.as_ref().and_then(no_microdata).is_some() {
            return Some(("invalid", "Invalid: the anonymity claims cannot be recounted".to_owned()));
        }
        if !self.problems().is_empty() {
            return Some(("invalid", "Invalid: the files are not as published".to_owned()));
        }
        if self.files.iter().any(|f| matches!(f.recount, Some(Err(_)))) {
            return Some(("unchecked", "Could not confirm the anonymity claims".to_owned()));
        }
        let listed: Vec<&FileRow> = self.files.iter().filter(|f| f.listed.is_some()).collect();
        if listed.is_empty() || !listed.iter().all(|f| f.state == FileState::Verified) {
            return Some(("unchecked", "Manifest verified; files not checked yet".to_owned()));
        }
        if self.claims_confirmed() == Some(true) {
            // Everything checked here; but against a saved trust list the site could not confirm.
            if self.trust_saved_at.is_some() {
                return Some(("unchecked", "Could not check that the publisher is still trusted".to_owned()));
            }
            return Some(("valid", "Valid".to_owned()));
        }
        // Every file as published, but the microdata's recount did not run.
        Some(("unchecked", "Files verified; the anonymity claims are not recounted yet".to_owned()))
    }

    /// What is wrong with the files checked so far: each altered, missing or unreadable listed
    /// file, and each recount that contradicts the manifest.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.manifest.as_ref().and_then(no_microdata).into_iter().collect();
        for f in self.files.iter().filter(|f| f.listed.is_some()) {
            match &f.state {
                FileState::Altered(why) => out.push(format!("{} is altered ({why})", f.id)),
                FileState::Missing => out.push(format!("{} is missing", f.id)),
                FileState::Failed(why) => out.push(format!("{} could not be checked ({why})", f.id)),
                _ => {}
            }
            if let Some(Ok((false, why))) = &f.recount {
                out.push(format!("{}: {why}", f.id));
            }
        }
        out
    }

    /// Whether a recount on this computer confirmed the manifest's k and l: `Some(true)` once
    /// the verified microdata file's ([`verifier::release_microdata`]) recount agrees,
    /// `Some(false)` if it disagrees, `None` while they are only claimed.
    pub fn claims_confirmed(&self) -> Option<bool> {
        let (microdata, _) = verifier::release_microdata(self.manifest.as_ref()?)?;
        let row = self.files.iter().find(|f| f.listed.as_ref().is_some_and(|r| r.id == microdata.id))?;
        match (&row.state, &row.recount) {
            (FileState::Verified, Some(Ok((confirmed, _)))) => Some(*confirmed),
            _ => None,
        }
    }

    /// Whether every listed file is verified, no extra file was given, and every recount
    /// confirms the manifest.
    pub fn all_verified(&self) -> bool {
        !self.files.is_empty()
            && self.files.iter().all(|f| {
                f.listed.is_some()
                    && f.state == FileState::Verified
                    && !matches!(f.recount, Some(Err(_)) | Some(Ok((false, _))))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::fixtures::*;
    use crate::dataset::{Checked, FileCheck, Recount, recount_spec};

    #[test]
    fn the_reducer_tracks_each_file_to_its_verdict() {
        let m = manifest();
        let report = verifier::Report { verified: true, steps: Vec::new() };
        let loaded = |n| ReleaseAction::Loaded(n, "link".into(), report.clone(), Some(m.clone()), None);
        let s = ReleaseState::default().reduce(ReleaseAction::Loading(1)).reduce(loaded(1));
        assert_eq!(s.files.len(), 4);
        assert!(s.files.iter().all(|f| f.state == FileState::Waiting));
        let good = || {
            let mut f = FileCheck::new(None);
            f.update(b"abc");
            f.finish()
        };
        let mut s =
            s.reduce(ReleaseAction::Start(10, 0)).reduce(ReleaseAction::Worker(Reply::Progress(10, 1, 3)));
        assert_eq!(s.files[0].state, FileState::Hashing(1, 3));
        for row in 1..4 {
            s = s.reduce(ReleaseAction::Start(10 + row as u32, row));
        }
        for job in 10..14 {
            s = s.reduce(ReleaseAction::Worker(Reply::Done(job, good())));
        }
        assert!(s.all_verified() && s.jobs.is_empty());
        // An extra file, a missing one, a recount that does not match: not all verified.
        let extra = s.clone().reduce(ReleaseAction::Extra(20, "notes.txt".into()));
        assert_eq!(extra.jobs.get(&20), Some(&4));
        assert!(!extra.all_verified());
        let missing =
            s.clone().reduce(ReleaseAction::Start(21, 2)).reduce(ReleaseAction::Worker(Reply::Missing(21)));
        assert_eq!(missing.files[2].state, FileState::Missing);
        assert!(!missing.all_verified());
        let mut recounted = good();
        recounted.recount = Some(Ok(recounted_with(2)));
        let lie = s
            .clone()
            .reduce(ReleaseAction::Start(22, 0))
            .reduce(ReleaseAction::Worker(Reply::Done(22, recounted.clone())));
        assert!(
            matches!(&lie.files[0].recount, Some(Ok((false, why))) if why.contains("smallest class has 2"))
        );
        assert!(!lie.all_verified());
        // A recount of an altered file is not shown (it says nothing about the release).
        let mut altered = recounted;
        altered.bytes = 4;
        let alt = s
            .clone()
            .reduce(ReleaseAction::Start(23, 0))
            .reduce(ReleaseAction::Worker(Reply::Done(23, altered)));
        assert!(matches!(alt.files[0].state, FileState::Altered(_)) && alt.files[0].recount.is_none());
        // Checked twice: only the newest job counts; the older one's late answers are dropped.
        let twice = s.clone().reduce(ReleaseAction::Start(30, 1)).reduce(ReleaseAction::Start(31, 1));
        let twice = twice.reduce(ReleaseAction::Worker(Reply::Done(31, good())));
        let twice = twice.reduce(ReleaseAction::Worker(Reply::Progress(30, 1, 3)));
        assert_eq!(twice.files[1].state, FileState::Verified);
        // A new link: answers and verdicts for the old one are dropped, nothing old is shown.
        let next = twice.clone().reduce(ReleaseAction::Start(40, 0)).reduce(ReleaseAction::Loading(2));
        assert!(next.report.is_none() && next.files.is_empty() && next.manifest.is_none());
        let next = next.reduce(loaded(1)).reduce(ReleaseAction::LoadFailed(1, "old".into()));
        assert!(next.report.is_none() && next.error.is_none());
        let next = next.reduce(loaded(2)).reduce(ReleaseAction::Worker(Reply::Done(40, good())));
        assert!(next.files.iter().all(|f| f.state == FileState::Waiting));
        let failed = next.clone().reduce(ReleaseAction::LoadFailed(2, "this site has no x".into()));
        assert_eq!(failed.error.as_deref(), Some("this site has no x"));
        // The worker dies: running jobs fail instead of hashing forever.
        let died = next
            .reduce(ReleaseAction::Start(50, 3))
            .reduce(ReleaseAction::WorkerFailed("worker failed".into()));
        assert_eq!(died.files[3].state, FileState::Failed("worker failed".into()));
        // A bundle that failed verification lists no files to check.
        let bad = verifier::Report { verified: false, steps: Vec::new() };
        let failed = ReleaseState::default().reduce(ReleaseAction::Loaded(0, "x".into(), bad, Some(m), None));
        assert!(failed.files.is_empty() && !failed.all_verified());
    }

    #[test]
    fn the_headline_follows_the_files_and_the_recount() {
        let m = manifest();
        let ok = verifier::Report { verified: true, steps: Vec::new() };
        let load = ReleaseState::default().reduce(ReleaseAction::Loading(1)).reduce(ReleaseAction::Loaded(
            1,
            "link".into(),
            ok,
            Some(m.clone()),
            None,
        ));
        // The manifest verified, no file checked yet: its claims are only claims, and the
        // headline is not "valid" (the files may yet be altered or missing).
        assert_eq!(
            load.headline(),
            Some(("unchecked", "Manifest verified; files not checked yet".to_owned()))
        );
        assert_eq!(load.claims_confirmed(), None);
        let checked = |bytes: &[u8], recount: Option<Result<Recount, String>>| {
            let mut f = FileCheck::new(None);
            f.update(bytes);
            Checked { recount, ..f.finish() }
        };
        let all = |microdata: Checked, other: &[u8]| {
            let mut s = load.clone();
            for row in 0..4u32 {
                let got = if row == 0 { microdata.clone() } else { checked(other, None) };
                s = s
                    .reduce(ReleaseAction::Start(10 + row, row as usize))
                    .reduce(ReleaseAction::Worker(Reply::Done(10 + row, got)));
            }
            s
        };
        // Every file as published and the recount agrees: valid, k confirmed.
        let good = all(checked(b"abc", Some(Ok(recounted_with(3)))), b"abc");
        assert_eq!(good.headline(), Some(("valid", "Valid".to_owned())));
        assert_eq!(good.claims_confirmed(), Some(true));
        // The same, checked against this browser's saved trust list (the site did not answer):
        // never valid, and the saved copy is remembered across a new load.
        let saved = good.clone().reduce(ReleaseAction::TrustSavedAt(Some(1_794_000_000)));
        assert_eq!(
            saved.headline(),
            Some(("unchecked", "Could not check that the publisher is still trusted".to_owned()))
        );
        assert_eq!(saved.clone().reduce(ReleaseAction::Loading(99)).trust_saved_at, Some(1_794_000_000));
        assert_eq!(saved.reduce(ReleaseAction::TrustSavedAt(None)).headline(), good.headline());
        // The signed manifest claims k = 3 but the smallest class has 2 rows: not valid, and
        // the claim is contradicted (issue 12: "k = 50" stayed on screen as if true).
        let lie = all(checked(b"abc", Some(Ok(recounted_with(2)))), b"abc");
        assert_eq!(lie.headline().expect("headline").0, "invalid");
        assert_eq!(lie.claims_confirmed(), Some(false));
        assert!(lie.problems()[0].contains("the smallest class has 2 rows, the claim is k = 3"));
        // One altered file, one missing file, one unreadable file: each makes it invalid.
        let altered = all(checked(b"abc", Some(Ok(recounted_with(3)))), b"abd");
        assert_eq!(altered.headline().expect("headline").0, "invalid");
        assert!(altered.problems().iter().any(|p| p.starts_with("report.json is altered")));
        for reply in [Reply::Missing(50), Reply::Failed(50, "reset".into())] {
            let s = good.clone().reduce(ReleaseAction::Start(50, 2)).reduce(ReleaseAction::Worker(reply));
            assert_eq!(s.headline().expect("headline").0, "invalid");
            assert_eq!(s.problems().len(), 1, "{:?}", s.problems());
        }
        // Some files checked, none bad: still only the manifest.
        let partial = load
            .clone()
            .reduce(ReleaseAction::Start(60, 3))
            .reduce(ReleaseAction::Worker(Reply::Done(60, checked(b"abc", None))));
        assert_eq!(
            partial.headline(),
            Some(("unchecked", "Manifest verified; files not checked yet".to_owned()))
        );
        // Every file but the microdata checked and as published: still not valid.
        let mut rest = load.clone();
        for row in 1..4u32 {
            rest = rest
                .reduce(ReleaseAction::Start(70 + row, row as usize))
                .reduce(ReleaseAction::Worker(Reply::Done(70 + row, checked(b"abc", None))));
        }
        assert_eq!(rest.headline().expect("headline").0, "unchecked");
        // Every file as published but the microdata's recount never ran: not valid either.
        let unrecounted = all(checked(b"abc", None), b"abc");
        assert!(unrecounted.all_verified());
        assert_eq!(unrecounted.headline().expect("headline").0, "unchecked");
        assert_eq!(unrecounted.claims_confirmed(), None);
        // A recount that could not run: the claims could not be confirmed, not valid.
        let err = all(checked(b"abc", Some(Err("ragged row".into()))), b"abc");
        assert_eq!(err.headline().expect("headline").0, "unchecked");
        assert_eq!(err.claims_confirmed(), None);
        // A history that could not be checked, an untrusted publisher.
        let unchecked = verifier::Report {
            verified: false,
            steps: vec![verifier::Step::new(
                verifier::Check::LogHistory,
                verifier::Outcome::Unchecked,
                "could not check",
            )],
        };
        let s =
            ReleaseState::default().reduce(ReleaseAction::Loaded(0, "x".into(), unchecked, Some(m), None));
        assert_eq!(s.headline(), Some(("unchecked", "Could not check the publisher's log".to_owned())));
        assert!(s.files.is_empty(), "no files are checked against an unconfirmed log");
    }

    /// The state after loading `m` and checking every listed file as `abc`, the file in row
    /// `recounted` with a recount that confirms [`manifest`]'s claims.
    fn checked_all(m: &verifier::Manifest, recounted: usize) -> ReleaseState {
        let ok = verifier::Report { verified: true, steps: Vec::new() };
        let mut s = ReleaseState::default().reduce(ReleaseAction::Loading(1)).reduce(ReleaseAction::Loaded(
            1,
            "link".into(),
            ok,
            Some(m.clone()),
            None,
        ));
        assert_ne!(s.headline().expect("headline").0, "valid", "valid before any file is checked");
        for row in 0..m.related_resource.len() {
            let mut f = FileCheck::new(None);
            f.update(b"abc");
            let mut got = f.finish();
            if row == recounted {
                got.recount = Some(Ok(recounted_with(3)));
            }
            let job = 10 + row as u32;
            s = s.reduce(ReleaseAction::Start(job, row)).reduce(ReleaseAction::Worker(Reply::Done(job, got)));
        }
        s
    }

    #[test]
    fn only_the_releases_microdata_recount_makes_it_valid() {
        let m = manifest();
        assert_eq!(checked_all(&m, 0).headline(), Some(("valid", "Valid".to_owned())));
        // The microdata file is the one recounted, not any file that merely has the columns.
        let mut two = m.clone();
        two.related_resource[2] =
            verifier::Resource { id: "x/copy.csv".into(), ..two.related_resource[0].clone() };
        assert_eq!(microdata_spec(&two, &two.related_resource[0]), Some(spec()));
        assert!(recount_spec(&two, &two.related_resource[2]).is_some(), "it has the columns and rows");
        assert_eq!(microdata_spec(&two, &two.related_resource[2]), None, "but is not the microdata");
        let other = checked_all(&two, 2);
        assert!(other.all_verified());
        assert!(other.files[2].recount.is_none(), "a recount of another file is dropped");
        assert_eq!(other.claims_confirmed(), None);
        assert_eq!(other.headline().expect("headline").0, "unchecked");
        assert_eq!(checked_all(&two, 0).headline(), Some(("valid", "Valid".to_owned())));
    }

    #[test]
    fn a_release_with_no_microdata_to_recount_is_never_valid() {
        // The manifest's rows differ from the microdata's, or a quasi-identifier column is
        // absent: no listed CSV qualifies, so the claims can never be recounted. `ledgerless
        // verify` says NOT VERIFIED ("lists no CSV ... to recount"); so does the page, from the
        // start and after every file is checked.
        let mut rows = manifest();
        rows.related_resource[0].rows = Some(8);
        let mut column = manifest();
        column.related_resource[0].columns = Some(vec!["age".into(), "diagnosis".into(), "stay".into()]);
        for m in [rows, column] {
            assert_eq!(verifier::release_microdata(&m), None);
            let s = checked_all(&m, 0);
            assert!(s.all_verified(), "every file is as published");
            assert_eq!(
                s.headline(),
                Some(("invalid", "Invalid: the anonymity claims cannot be recounted".to_owned()))
            );
            assert_eq!(
                s.problems(),
                ["the manifest lists no CSV with every quasi-identifier (age, sex) and 7 rows to recount"]
            );
            assert_eq!(s.claims_confirmed(), None);
        }
    }
}
