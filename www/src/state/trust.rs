//! Keys the user trusts on this browser only: adding and removing them, and the trust list
//! verification uses (the site's, plus local keys for origins the site does not list). Pure;
//! the page stores them ([`LOCAL_TRUST_KEY`]) through `hooks::use_trust`.

use verifier::{TrustList, TrustedParty};

/// Local storage key of the keys this browser's user added.
pub const LOCAL_TRUST_KEY: &str = "ledgerless:local-trust";

/// Which list a locally added key joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A credential issuer.
    Issuer,
    /// A dataset publisher.
    Publisher,
}

fn origin_of(p: &TrustedParty) -> Option<String> {
    verifier::parse_verifier_key(&p.vkey).ok().map(|k| k.name)
}

fn lists(t: &TrustList) -> impl Iterator<Item = &TrustedParty> {
    t.issuers.iter().chain(&t.publishers)
}

/// Reads the stored local keys; anything unreadable is dropped (never trusted).
pub fn parse_local(stored: Option<&str>) -> TrustList {
    stored.and_then(|s| TrustList::parse(s.as_bytes()).ok()).unwrap_or_default()
}

/// Adds a key the user trusts on this browser only, after checking it is a well-formed
/// verifier key whose log origin neither the site nor the local list already has.
///
/// # Errors
/// What is wrong with the name or key.
pub fn add_local(
    local: &TrustList,
    site: Option<&TrustList>,
    role: Role,
    name: &str,
    vkey: &str,
) -> Result<TrustList, String> {
    let (name, vkey) = (name.trim(), vkey.trim());
    if name.is_empty() {
        return Err("give the organisation's name".to_owned());
    }
    let key = verifier::parse_verifier_key(vkey).map_err(|e| format!("not a verifier key: {e}"))?;
    if key.kind != verifier::KeyKind::Ed25519 {
        // A witness's key vouches for no entry: it only cosigns other logs' checkpoints.
        return Err(format!(
            "{} is a witness's cosigning key, not a log's key: a witness only confirms what it saw of other logs. Ask the organisation for its log's verifier key.",
            key.name
        ));
    }
    let taken = |t: &TrustList| lists(t).any(|p| origin_of(p).as_deref() == Some(key.name.as_str()));
    if site.is_some_and(taken) {
        return Err(format!("this site already trusts a key for {}", key.name));
    }
    if taken(local) {
        return Err(format!("you already added a key for {}", key.name));
    }
    let mut out = local.clone();
    let party =
        TrustedParty { name: name.to_owned(), vkey: vkey.to_owned(), log: None, policy: None, origin: None };
    match role {
        Role::Issuer => out.issuers.push(party),
        Role::Publisher => out.publishers.push(party),
    }
    Ok(out)
}

/// The local list without the key for `origin`.
pub fn remove_local(local: &TrustList, origin: &str) -> TrustList {
    let keep = |v: &Vec<TrustedParty>| {
        v.iter().filter(|p| origin_of(p).as_deref() != Some(origin)).cloned().collect()
    };
    TrustList { issuers: keep(&local.issuers), publishers: keep(&local.publishers) }
}

/// The trust list verification uses: the site's, plus local keys for log origins the site does
/// not list (the site's entry always wins).
pub fn effective_trust(site: &TrustList, local: &TrustList) -> TrustList {
    let fresh = |v: &Vec<TrustedParty>| -> Vec<TrustedParty> {
        v.iter().filter(|p| !lists(site).any(|s| origin_of(s) == origin_of(p))).cloned().collect()
    };
    let mut t = site.clone();
    t.issuers.extend(fresh(&local.issuers));
    t.publishers.extend(fresh(&local.publishers));
    t
}

/// The log origins trusted for `role` only through keys added on this browser.
pub fn local_only(site: &TrustList, local: &TrustList, role: Role) -> Vec<String> {
    let mine = match role {
        Role::Issuer => &local.issuers,
        Role::Publisher => &local.publishers,
    };
    mine.iter()
        .filter_map(origin_of)
        .filter(|o| !lists(site).any(|s| origin_of(s).as_deref() == Some(o.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::credentials::{Action, State};

    #[test]
    fn local_keys_add_to_the_site_list_and_never_override_it() {
        let key = |name: &str, seed: u8| {
            let k =
                verifier::write::SignerKey::from_seed(name, verifier::KeyKind::Ed25519, &[seed; 32]).unwrap();
            verifier::write::format_verifier_key(&k.verifier)
        };
        let party = |name: &str, vkey: String| TrustedParty {
            name: name.into(),
            vkey,
            log: None,
            policy: None,
            origin: None,
        };
        let site = TrustList { issuers: vec![party("GMC", key("gmc.example/log", 1))], publishers: vec![] };
        let local =
            add_local(&TrustList::default(), Some(&site), Role::Issuer, " RCP ", &key("rcp.example/log", 2))
                .unwrap();
        assert_eq!(local.issuers[0].name, "RCP");
        let local =
            add_local(&local, Some(&site), Role::Publisher, "Stats", &key("stats.example/r", 3)).unwrap();
        assert_eq!(local.publishers.len(), 1);
        // Refused: the site's origin (even with another key), a repeat, junk, no name.
        let e =
            add_local(&local, Some(&site), Role::Issuer, "Fake GMC", &key("gmc.example/log", 9)).unwrap_err();
        assert!(e.contains("this site already trusts"), "{e}");
        assert!(
            add_local(&local, Some(&site), Role::Issuer, "Again", &key("rcp.example/log", 4))
                .unwrap_err()
                .contains("already added")
        );
        assert!(
            add_local(&local, Some(&site), Role::Issuer, "X", "not a key")
                .unwrap_err()
                .contains("not a verifier key")
        );
        assert!(add_local(&local, Some(&site), Role::Issuer, " ", &key("x.example/l", 5)).is_err());
        let eff = effective_trust(&site, &local);
        assert_eq!((eff.issuers.len(), eff.publishers.len()), (2, 1));
        assert_eq!(local_only(&site, &local, Role::Issuer), vec!["rcp.example/log".to_owned()]);
        assert_eq!(local_only(&site, &local, Role::Publisher), vec!["stats.example/r".to_owned()]);
        // A stored entry for an origin the site lists later never overrides the site's key.
        let sneaky =
            TrustList { issuers: vec![party("Fake", key("gmc.example/log", 9))], publishers: vec![] };
        assert_eq!(effective_trust(&site, &sneaky), site);
        assert!(local_only(&site, &sneaky, Role::Issuer).is_empty());
        // Round trip through storage; junk in storage trusts nothing.
        let stored = serde_json::to_string(&local).unwrap();
        assert_eq!(parse_local(Some(&stored)), local);
        assert_eq!(parse_local(Some("{junk")), TrustList::default());
        assert_eq!(remove_local(&local, "rcp.example/log").issuers.len(), 0);
        // Verification waits for the site's list; if it failed to load, local keys alone.
        let mut st = State { local_trust: local.clone(), ..State::default() };
        assert_eq!(st.verifying_trust(), None);
        st = st.reduce(Action::Trust(Err("404".into())));
        assert_eq!(st.verifying_trust(), Some(local.clone()));
    }

    #[test]
    fn witness_keys_are_refused_where_a_log_key_is_wanted() {
        let witness = verifier::write::SignerKey::from_seed(
            "witness.example/w1",
            verifier::KeyKind::CosignatureV1,
            &[7; 32],
        )
        .unwrap();
        let vkey = verifier::write::format_verifier_key(&witness.verifier);
        for role in [Role::Issuer, Role::Publisher] {
            let e = add_local(&TrustList::default(), None, role, "W", &vkey).unwrap_err();
            assert!(e.contains("witness's cosigning key, not a log's key"), "{e}");
        }
    }

    #[test]
    fn local_keys_are_labelled_for_their_role_only() {
        let key = |name: &str, seed: u8| {
            let k =
                verifier::write::SignerKey::from_seed(name, verifier::KeyKind::Ed25519, &[seed; 32]).unwrap();
            verifier::write::format_verifier_key(&k.verifier)
        };
        let local =
            add_local(&TrustList::default(), None, Role::Publisher, "P", &key("p.example/r", 1)).unwrap();
        let site = TrustList::default();
        assert_eq!(local_only(&site, &local, Role::Publisher), vec!["p.example/r".to_owned()]);
        assert!(local_only(&site, &local, Role::Issuer).is_empty());
        // And the verifier trusts it for releases only: it vouches for no credential.
        let eff = effective_trust(&site, &local);
        assert!(eff.find_publisher("p.example/r").is_some());
        assert!(eff.find_issuer("p.example/r").is_none());
    }
}
