//! The log list of `witness serve`: which logs it witnesses, by their verifier keys.
//!
//! Format (docs/formats.md, "Witness log list"): UTF-8 lines; blank lines and lines starting
//! with `#` are ignored; every other line is `<vkey>` or `<vkey> <origin>`. The origin, when
//! given, is the rest of the line after the key and its spaces (it may hold spaces, as Go's
//! `go.sum database tree` does); without it the origin is the key's name.

use verifier::{KeyKind, VerifierKey, parse_verifier_key};

/// Largest log list accepted, in bytes.
pub const MAX_LOG_LIST_SIZE: usize = 1 << 20;

/// A log a witness witnesses: the key that signs its checkpoints and their origin line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLog {
    /// The log's checkpoint-signing key (type 0x01).
    pub key: VerifierKey,
    /// The origin line its checkpoints carry (the key's name unless the list says otherwise).
    pub origin: String,
}

/// Why a log list was refused; names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log list line {line}: {reason}")]
pub struct LogListError {
    /// 1-based line (0 for the whole file).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses a witness's log list.
///
/// # Errors
/// [`LogListError`] naming the line: not UTF-8, a control character, a malformed key, a
/// witness (cosignature) key, the same key and origin twice, or no log at all.
pub fn parse_log_list(bytes: &[u8]) -> Result<Vec<KnownLog>, LogListError> {
    let err = |line: usize, reason: String| LogListError { line, reason };
    if bytes.len() > MAX_LOG_LIST_SIZE {
        return Err(err(0, "the log list is larger than 1 MiB".to_owned()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        err(bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1, "not UTF-8".to_owned())
    })?;
    let mut logs: Vec<KnownLog> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        if raw.chars().any(|c| c.is_control() && c != '\t') {
            return Err(err(n, "control character (only tab is allowed)".to_owned()));
        }
        let line = raw.trim_matches([' ', '\t']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (vkey, origin) = match line.split_once([' ', '\t']) {
            Some((k, o)) => (k, Some(o.trim_matches([' ', '\t']))),
            None => (line, None),
        };
        let key = parse_verifier_key(vkey)
            .map_err(|e| err(n, format!("{e} (want: <vkey> [<origin>], the log's verifier key)")))?;
        if key.kind != KeyKind::Ed25519 {
            return Err(err(
                n,
                format!("{} is a witness (cosignature) key; list the logs' own keys", key.label()),
            ));
        }
        let origin = origin.map_or_else(|| key.name.clone(), str::to_owned);
        if logs.iter().any(|l| l.key.public_key == key.public_key && l.origin == origin) {
            return Err(err(n, format!("{} is listed twice for origin {origin:?}", key.label())));
        }
        logs.push(KnownLog { key, origin });
    }
    if logs.is_empty() {
        return Err(err(0, "the log list names no log".to_owned()));
    }
    Ok(logs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::write::{SignerKey, format_verifier_key};

    fn vkey(name: &str, kind: KeyKind) -> String {
        format_verifier_key(&SignerKey::from_seed(name, kind, &[3; 32]).unwrap().verifier)
    }

    #[test]
    fn parses_keys_origins_comments_and_refuses_the_rest() {
        let k = vkey("sum.golang.org", KeyKind::Ed25519);
        let text = format!("# logs\n\n{k}\n  {k} go.sum database tree  \n");
        let logs = parse_log_list(text.as_bytes()).unwrap();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].origin, "sum.golang.org");
        assert_eq!(logs[1].origin, "go.sum database tree");
        assert_eq!(parse_log_list(format!("{k}\n{k}\n").as_bytes()).unwrap_err().line, 2);
        assert_eq!(parse_log_list(b"# nothing\n").unwrap_err().line, 0);
        assert_eq!(parse_log_list(b"\nnot-a-key\n").unwrap_err().line, 2);
        let w = vkey("w.example/w", KeyKind::CosignatureV1);
        assert!(parse_log_list(w.as_bytes()).unwrap_err().reason.contains("witness"));
        assert!(parse_log_list(format!("{k}\r\n").as_bytes()).is_err());
        assert!(parse_log_list(&[0xff, b'\n']).is_err());
    }
}
