//! Key generation and key files.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use verifier::write::{SignerKey, format_signer_key, format_verifier_key};
use verifier::{KeyKind, VerifierKey, is_valid_key_name};

use crate::error::LogError;

/// Generates a new key pair named `name` from the operating system's random number generator.
///
/// # Errors
/// [`LogError::WrongKey`] if the name is not a valid key name (empty, spaces or `+`), or
/// [`LogError::Verify`] if the system has no randomness.
pub fn generate_key(name: &str, kind: KeyKind) -> Result<SignerKey, LogError> {
    if !is_valid_key_name(name) {
        return Err(LogError::WrongKey(format!(
            "key name {name:?} is not valid: it must be non-empty with no spaces and no '+' (e.g. register.example.org/log)"
        )));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| LogError::Verify(format!("no system randomness: {e}")))?;
    SignerKey::from_seed(name, kind, &seed).map_err(|e| LogError::WrongKey(e.to_string()))
}

/// Writes `PREFIX.key` (the private key, mode 0600) and `PREFIX.pub` (the verifier key),
/// refusing to overwrite either. Each file is written to a temporary file, fsynced, then
/// linked into place, so a killed keygen leaves no torn key.
///
/// # Errors
/// [`LogError::BadPath`] if `prefix` names a directory or ends in a path separator (it would
/// make hidden `DIR/.key` files); [`LogError::Io`] if either file exists or cannot be
/// written; nothing is left half-written.
pub fn write_key_pair(prefix: &Path, key: &SignerKey) -> Result<(PathBuf, PathBuf), LogError> {
    let text = prefix.as_os_str().to_string_lossy();
    let name_ok = matches!(prefix.components().next_back(), Some(std::path::Component::Normal(_)));
    if !name_ok || text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) || prefix.is_dir() {
        return Err(LogError::BadPath(format!(
            "{text:?} names a directory, not a file name prefix: give a prefix such as {} (writes .key and .pub files)",
            prefix.join("issuer").display()
        )));
    }
    let private = PathBuf::from(format!("{}.key", prefix.display()));
    let public = PathBuf::from(format!("{}.pub", prefix.display()));
    // A missing folder is a typo more often than a wish: never create one for a private key.
    if let Some(dir) = private.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(LogError::io(
            "create",
            &private,
            std::io::Error::new(std::io::ErrorKind::NotFound, format!("no folder {}", dir.display())),
        ));
    }
    for p in [&private, &public] {
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(LogError::io(
                "create",
                p,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "file exists; refusing to overwrite a key",
                ),
            ));
        }
    }
    write_new(&private, &format!("{}\n", format_signer_key(key)), true)?;
    if let Err(e) = write_new(&public, &format!("{}\n", format_verifier_key(&key.verifier)), false) {
        let _ = std::fs::remove_file(&private);
        return Err(e);
    }
    if let Some(dir) = private.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok((private, public))
}

/// Writes a new file (never replacing one) as an [`AtomicFile`](crate::AtomicFile): mode 0600
/// if `private`, fsynced, then put in place only if `path` does not exist.
fn write_new(path: &Path, text: &str, private: bool) -> Result<(), LogError> {
    let mut f = crate::AtomicFile::create(path, private.then_some(0o600))
        .map_err(|e| LogError::io("create", path, e))?;
    f.write_all(text.as_bytes()).map_err(|e| LogError::io("write", path, e))?;
    match f.commit(false) {
        Ok(true) => Ok(()),
        Ok(false) => Err(LogError::io("create", path, std::io::ErrorKind::AlreadyExists.into())),
        Err(e) => Err(LogError::io("create", path, e)),
    }
}

/// Reads a private key file.
///
/// # Errors
/// [`LogError::Io`] if unreadable, [`LogError::WrongKey`] if malformed.
pub fn read_signer_key(path: &Path) -> Result<SignerKey, LogError> {
    let text = std::fs::read_to_string(path).map_err(|e| LogError::io("read", path, e))?;
    verifier::write::parse_signer_key(text.trim()).map_err(|e| {
        LogError::WrongKey(format!(
            "{}: {e} (want PRIVATE+KEY+name+keyid+base64, as `ledgerless keygen` writes)",
            path.display()
        ))
    })
}

/// Reads a verifier key file.
///
/// # Errors
/// [`LogError::Io`] if unreadable, [`LogError::WrongKey`] if malformed.
pub fn read_verifier_key(path: &Path) -> Result<VerifierKey, LogError> {
    let text = std::fs::read_to_string(path).map_err(|e| LogError::io("read", path, e))?;
    verifier::parse_verifier_key(text.trim())
        .map_err(|e| LogError::WrongKey(format!("{}: {e} (want name+keyid+base64)", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_0600_and_refuses_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("issuer");
        let k = generate_key("gmc.example.org/register", KeyKind::Ed25519).unwrap();
        let (private, public) = write_key_pair(&prefix, &k).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(read_signer_key(&private).unwrap().verifier, k.verifier);
        assert_eq!(read_verifier_key(&public).unwrap(), k.verifier);
        assert!(write_key_pair(&prefix, &k).is_err());
        for dir_prefix in [dir.path().to_path_buf(), PathBuf::from(format!("{}/", prefix.display()))] {
            assert!(matches!(write_key_pair(&dir_prefix, &k), Err(LogError::BadPath(_))), "{dir_prefix:?}");
        }
        assert!(!dir.path().join(".key").exists());
        // Regression: a missing folder is refused, never created (a private key in a typo).
        let typo = dir.path().join("typo/dir/issuer");
        assert!(write_key_pair(&typo, &k).is_err());
        assert!(!dir.path().join("typo").exists());
        assert!(generate_key("bad name", KeyKind::Ed25519).is_err());
        assert_ne!(generate_key("a", KeyKind::Ed25519).unwrap().seed(), k.seed());
    }
}
