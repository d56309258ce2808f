//! C2SP tlog-policy: which logs are trusted, which witnesses, and the cosigning quorum.
//!
//! SPEC: <https://c2sp.org/tlog-policy>

use crate::note::{KeyKind, VerifierKey, parse_verifier_key};

/// Most logs, witnesses or groups in one policy. Why: the spec asks for at least 32; 256
/// is ample and bounds quorum evaluation on a hostile file.
pub const MAX_POLICY_ITEMS: usize = 256;
/// Largest policy file accepted, in bytes.
pub const MAX_POLICY_SIZE: usize = 256 * 1024;

/// A trusted log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyLog {
    /// Its checkpoint-signing key (type 0x01); the key name is the log's origin.
    pub key: VerifierKey,
    /// Where to reach it, if given.
    pub url: Option<String>,
}

/// A trusted witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWitness {
    /// The name this policy gives the witness (used in groups and the quorum).
    pub name: String,
    /// Its cosignature key (type 0x04; a type 0x01 vkey is converted, as transparency-dev does).
    pub key: VerifierKey,
    /// Where to reach it, if given.
    pub url: Option<String>,
}

/// How many members of a group must have witnessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Every member.
    All,
    /// At least one member.
    Any,
    /// At least this many members (1 <= k <= members).
    AtLeast(usize),
}

/// A named group of witnesses or other groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyGroup {
    /// Group name (shares the namespace of witness names).
    pub name: String,
    /// How many members must have witnessed.
    pub threshold: Threshold,
    /// Names of member witnesses or groups, each defined on an earlier line.
    pub members: Vec<String>,
}

/// A parsed tlog-policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Trusted logs.
    pub logs: Vec<PolicyLog>,
    /// Known witnesses.
    pub witnesses: Vec<PolicyWitness>,
    /// Witness groups, in definition order.
    pub groups: Vec<PolicyGroup>,
    /// The witness or group that must have witnessed, or `None` for `quorum none`.
    pub quorum: Option<String>,
}

/// Why a policy file was rejected; always names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy line {line}: {reason}")]
pub struct PolicyError {
    /// 1-based line number (0 for whole-file problems).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

fn err(line: usize, reason: impl Into<String>) -> PolicyError {
    PolicyError { line, reason: reason.into() }
}

/// Parses a tlog-policy file.
///
/// Deviation: names and URLs must be UTF-8 (the spec allows opaque high-bit octets); names
/// are still compared as exact byte strings.
///
/// # Errors
/// [`PolicyError`] naming the line: bad characters, unknown keywords, malformed or wrong-type
/// keys, duplicate keys or names, undefined or repeated group members, a threshold outside
/// 1..=n, or not exactly one quorum line.
pub fn parse_policy(bytes: &[u8]) -> Result<Policy, PolicyError> {
    if bytes.len() > MAX_POLICY_SIZE {
        return Err(err(0, "policy file is larger than 256 KiB"));
    }
    // The 1-based line holding byte `at`.
    let line_of = |at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    if let Some(at) = bytes.iter().position(|&b| (b < 0x20 && b != b'\t' && b != b'\n') || b == 0x7f) {
        let b = bytes[at];
        return Err(err(
            line_of(at),
            format!("control character 0x{b:02x} (only tab and newline are allowed)"),
        ));
    }
    let text =
        core::str::from_utf8(bytes).map_err(|e| err(line_of(e.valid_up_to()), "policy is not UTF-8"))?;
    let mut logs: Vec<PolicyLog> = Vec::new();
    let mut witnesses: Vec<PolicyWitness> = Vec::new();
    let mut groups: Vec<PolicyGroup> = Vec::new();
    let mut quorum: Option<Option<String>> = None;

    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = raw.trim_matches([' ', '\t']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
        let defined = |name: &str, witnesses: &[PolicyWitness], groups: &[PolicyGroup]| {
            witnesses.iter().any(|w| w.name == name) || groups.iter().any(|g| g.name == name)
        };
        match words[0] {
            "log" => {
                let (vkey, url) = match words.len() {
                    2 => (words[1], None),
                    3 => (words[1], Some(words[2].to_owned())),
                    _ => return Err(err(n, "want: log <vkey> [<url>]")),
                };
                let key = parse_verifier_key(vkey).map_err(|e| err(n, e.to_string()))?;
                if key.kind != KeyKind::Ed25519 {
                    return Err(err(n, "a log key must be an Ed25519 note key (type 0x01)"));
                }
                if logs.iter().any(|l| l.key.public_key == key.public_key) {
                    return Err(err(n, "duplicate log key"));
                }
                if logs.len() == MAX_POLICY_ITEMS {
                    return Err(err(n, "more than 256 logs"));
                }
                logs.push(PolicyLog { key, url });
            }
            "witness" => {
                let (name, vkey, url) = match words.len() {
                    3 => (words[1], words[2], None),
                    4 => (words[1], words[2], Some(words[3].to_owned())),
                    _ => return Err(err(n, "want: witness <name> <vkey> [<url>]")),
                };
                if name == "none" || defined(name, &witnesses, &groups) {
                    return Err(err(n, format!("name {name:?} is reserved or already defined")));
                }
                let key = parse_verifier_key(vkey).map_err(|e| err(n, e.to_string()))?;
                let key = match key.kind {
                    KeyKind::CosignatureV1 => key,
                    KeyKind::Ed25519 => key.to_cosignature_key(),
                };
                if witnesses.iter().any(|w| w.key.public_key == key.public_key) {
                    return Err(err(n, "duplicate witness key"));
                }
                if witnesses.len() == MAX_POLICY_ITEMS {
                    return Err(err(n, "more than 256 witnesses"));
                }
                witnesses.push(PolicyWitness { name: name.to_owned(), key, url });
            }
            "group" => {
                if words.len() < 4 {
                    return Err(err(n, "want: group <name> all|any|<k> <name>..."));
                }
                let name = words[1];
                if name == "none" || defined(name, &witnesses, &groups) {
                    return Err(err(n, format!("name {name:?} is reserved or already defined")));
                }
                let members: Vec<String> = words[3..].iter().map(|s| (*s).to_owned()).collect();
                for (j, m) in members.iter().enumerate() {
                    if !defined(m, &witnesses, &groups) {
                        return Err(err(n, format!("member {m:?} is not defined on an earlier line")));
                    }
                    if members[..j].contains(m) {
                        return Err(err(n, format!("member {m:?} is listed twice")));
                    }
                }
                let threshold = match words[2] {
                    "all" => Threshold::All,
                    "any" => Threshold::Any,
                    k => {
                        let k = crate::checkpoint::parse_decimal(k)
                            .ok_or_else(|| err(n, "threshold must be all, any or a decimal number"))?;
                        if k == 0 || k > members.len() as u64 {
                            return Err(err(
                                n,
                                format!("threshold {k} is not between 1 and {}", members.len()),
                            ));
                        }
                        // Fits: k <= members.len().
                        Threshold::AtLeast(k as usize)
                    }
                };
                if groups.len() == MAX_POLICY_ITEMS {
                    return Err(err(n, "more than 256 groups"));
                }
                groups.push(PolicyGroup { name: name.to_owned(), threshold, members });
            }
            "quorum" => {
                if words.len() != 2 {
                    return Err(err(n, "want: quorum <name>"));
                }
                if quorum.is_some() {
                    return Err(err(n, "more than one quorum line"));
                }
                let name = words[1];
                if name == "none" {
                    quorum = Some(None);
                } else if defined(name, &witnesses, &groups) {
                    quorum = Some(Some(name.to_owned()));
                } else {
                    return Err(err(n, format!("quorum {name:?} is not defined on an earlier line")));
                }
            }
            other => {
                return Err(err(
                    n,
                    format!("unknown keyword {other:?} (want log, witness, group or quorum)"),
                ));
            }
        }
    }
    let quorum =
        quorum.ok_or_else(|| err(0, "no quorum line (write `quorum none` to require no witnesses)"))?;
    Ok(Policy { logs, witnesses, groups, quorum })
}

#[cfg(feature = "write")]
/// Formats a policy; [`parse_policy`] reads it back to an equal value.
pub fn format_policy(p: &Policy) -> String {
    use crate::note::format_verifier_key;
    let mut out = String::new();
    for l in &p.logs {
        out.push_str(&format!("log {}", format_verifier_key(&l.key)));
        if let Some(u) = &l.url {
            out.push_str(&format!(" {u}"));
        }
        out.push('\n');
    }
    for w in &p.witnesses {
        out.push_str(&format!("witness {} {}", w.name, format_verifier_key(&w.key)));
        if let Some(u) = &w.url {
            out.push_str(&format!(" {u}"));
        }
        out.push('\n');
    }
    for g in &p.groups {
        let t = match g.threshold {
            Threshold::All => "all".to_owned(),
            Threshold::Any => "any".to_owned(),
            Threshold::AtLeast(k) => k.to_string(),
        };
        out.push_str(&format!("group {} {t} {}\n", g.name, g.members.join(" ")));
    }
    out.push_str(&format!("quorum {}\n", p.quorum.as_deref().unwrap_or("none")));
    out
}

impl Policy {
    /// The policy's name for the witness with this key name and ID, if it is one of ours.
    pub fn witness_named_by_key(&self, key_name: &str, key_id: u32) -> Option<&str> {
        self.witnesses
            .iter()
            .find(|w| w.key.name == key_name && w.key.key_id == key_id)
            .map(|w| w.name.as_str())
    }

    /// Reports whether the witnesses named in `cosigned` (policy names) meet the quorum.
    pub fn quorum_met(&self, cosigned: &[&str]) -> bool {
        let Some(q) = &self.quorum else {
            return true;
        };
        // Groups only refer to earlier names, so one pass in definition order settles all.
        let mut met: Vec<(&str, bool)> =
            self.witnesses.iter().map(|w| (w.name.as_str(), cosigned.contains(&w.name.as_str()))).collect();
        for g in &self.groups {
            let count = g.members.iter().filter(|m| met.iter().any(|(name, ok)| *ok && name == m)).count();
            let need = match g.threshold {
                Threshold::All => g.members.len(),
                Threshold::Any => 1,
                Threshold::AtLeast(k) => k,
            };
            met.push((g.name.as_str(), count >= need));
        }
        met.iter().any(|(name, ok)| *ok && name == q)
    }

    /// Describes the quorum rule for messages, e.g. `group "X" needs 2 of X1, X2, X3`.
    pub fn describe_quorum(&self) -> String {
        let Some(q) = &self.quorum else {
            return "no cosignatures required".to_owned();
        };
        if let Some(g) = self.groups.iter().find(|g| &g.name == q) {
            let need = match g.threshold {
                Threshold::All => format!("all {}", g.members.len()),
                Threshold::Any => "1".to_owned(),
                Threshold::AtLeast(k) => k.to_string(),
            };
            format!("group {q:?} needs {need} of {}", g.members.join(", "))
        } else {
            format!("witness {q:?} must cosign")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{KeyKind, SignerKey, format_verifier_key};

    fn wkey(seed: u8, name: &str) -> String {
        format_verifier_key(
            &SignerKey::from_seed(name, KeyKind::CosignatureV1, &[seed; 32]).unwrap().verifier,
        )
    }

    fn lkey() -> String {
        format_verifier_key(
            &SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[1; 32]).unwrap().verifier,
        )
    }

    #[test]
    fn spec_example_quorum() {
        let text = format!(
            "# example\nlog {}\n\nwitness X1 {}\nwitness X2 {}\nwitness X3 {}\ngroup X-witnesses 2 X1 X2 X3\n\
             witness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\
             \tgroup X-and-Y all X-witnesses Y-witnesses  \nquorum X-and-Y\n",
            lkey(),
            wkey(2, "x1"),
            wkey(3, "x2"),
            wkey(4, "x3"),
            wkey(5, "y1"),
            wkey(6, "y2"),
            wkey(7, "y3")
        );
        let p = parse_policy(text.as_bytes()).unwrap();
        assert!(p.quorum_met(&["X1", "X3", "Y2"]));
        assert!(!p.quorum_met(&["X1", "Y2"]));
        assert!(!p.quorum_met(&["X1", "X2", "X3"]));
        assert_eq!(parse_policy(format_policy(&p).as_bytes()).unwrap(), p);
    }

    #[test]
    fn rejects() {
        let l = lkey();
        let w = wkey(2, "w");
        for (bad, why) in [
            (format!("log {l}\n"), "no quorum"),
            (format!("log {l}\nquorum none\nquorum none\n"), "two quorums"),
            (format!("log {l}\nlog {l}\nquorum none\n"), "duplicate log"),
            (format!("witness A {w}\nwitness B {w}\nquorum A\n"), "duplicate witness"),
            (format!("witness A {w}\ngroup G 2 A\nquorum G\n"), "k > n"),
            (format!("witness A {w}\ngroup G 0 A\nquorum G\n"), "k = 0"),
            (format!("witness A {w}\ngroup G any A A\nquorum G\n"), "member twice"),
            (format!("group G any A\nwitness A {w}\nquorum G\n"), "forward reference"),
            (format!("witness none {w}\nquorum none\n"), "reserved"),
            (format!("log {w}\nquorum none\n"), "witness key as log"),
            ("frobnicate\nquorum none\n".to_owned(), "keyword"),
            (format!("log {l}\r\nquorum none\n"), "CR"),
            (format!("witness A {w}\nquorum B\n"), "undefined quorum"),
        ] {
            assert!(parse_policy(bad.as_bytes()).is_err(), "{why}");
        }
    }
}
