//! The `ledgerless` binary against the shipped example in `examples/registry/`: exit codes,
//! the failing step on stderr, and the JSON report. Every verification step has a
//! must-reject case here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/registry")
}

fn ledgerless(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerless"))
        .args(args)
        .current_dir(example())
        .output()
        .expect("run ledgerless")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `contents` to a fresh temporary file and returns its path.
fn temp(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ledgerless-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, contents).expect("write temp");
    p
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(example().join(name)).expect("example file")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn shipped_example_is_up_to_date() {
    for (name, contents) in tests::example::build() {
        assert_eq!(
            String::from_utf8(read(name)).expect("utf8"),
            contents,
            "examples/registry/{name} is stale: run `cargo run -p tests --example build_example`"
        );
    }
}

#[test]
fn verify_tlog_proof_with_policy_and_key() {
    let o = ledgerless(&["verify", "entry-2.tlog-proof", "--entry", "entry-2.json", "--policy", "policy"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("verified\n"));
    let o = ledgerless(&[
        "verify",
        "entry-2.tlog-proof",
        "--entry",
        "entry-2.json",
        "--vkey",
        "log.pub",
        "--json",
    ]);
    assert_eq!(code(&o), 0);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    assert_eq!(r["verified"], true);
    let checks: Vec<&str> =
        r["steps"].as_array().expect("steps").iter().map(|s| s["check"].as_str().expect("c")).collect();
    assert_eq!(checks, ["format", "checkpoint-signature", "witness-quorum", "inclusion"]);
    assert_eq!(r["steps"][2]["outcome"], "skip");
}

#[test]
fn verify_rejects_each_failing_step() {
    // Wrong entry: inclusion fails.
    let other = temp("other.json", b"{\"name\":\"Dr Mallory\"}");
    let o = ledgerless(&["verify", "entry-2.tlog-proof", "--entry", s(&other), "--vkey", "log.pub"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).starts_with("not verified: inclusion: "), "{}", stderr(&o));
    // Not a tlog-proof: format fails.
    let o = ledgerless(&["verify", "entry-2.json", "--entry", "entry-2.json", "--vkey", "log.pub"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("not verified: format: malformed tlog-proof: first line"), "{}", stderr(&o));
    // Another log's key: signature fails, naming the key we wanted.
    let o = ledgerless(&["verify", "entry-2.tlog-proof", "--entry", "entry-2.json", "--vkey", "witness.pub"]);
    assert_eq!(code(&o), 2, "a witness key is not a log key: usage error");
    let stranger = verifier::write::SignerKey::from_seed(
        "register.example.org/log",
        verifier::KeyKind::Ed25519,
        &[1; 32],
    )
    .expect("key");
    let vk = temp("stranger.pub", verifier::write::format_verifier_key(&stranger.verifier).as_bytes());
    let o = ledgerless(&["verify", "entry-2.tlog-proof", "--entry", "entry-2.json", "--vkey", s(&vk)]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("checkpoint-signature: no signature by register.example.org/log+"),
        "same name, different key: {}",
        stderr(&o)
    );
    // Policy whose witness did not cosign this checkpoint: quorum fails.
    let o = ledgerless(&["verify-checkpoint", "checkpoint.4", "--policy", "policy"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("witness-quorum: quorum not met"), "{}", stderr(&o));
    // Tampered checkpoint inside the proof: signature fails.
    let tampered = String::from_utf8(read("entry-2.tlog-proof")).expect("utf8").replace("\n6\n", "\n7\n");
    let t = temp("tampered.tlog-proof", tampered.as_bytes());
    let o = ledgerless(&["verify", s(&t), "--entry", "entry-2.json", "--policy", "policy"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("checkpoint-signature: bad signature by register.example.org/log+"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn verify_inclusion_and_its_rejections() {
    let ok =
        ["verify-inclusion", "--vkey", "log.pub", "--checkpoint", "checkpoint", "--entry", "entry-2.json"];
    let o = ledgerless(&[&ok[..], &["--index", "2", "--proof", "entry-2.proof"]].concat());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = ledgerless(&[&ok[..], &["--index", "3", "--proof", "entry-2.proof"]].concat());
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("inclusion: entry (leaf hash"), "{}", stderr(&o));
    let o = ledgerless(&[&ok[..], &["--index", "6", "--proof", "entry-2.proof"]].concat());
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("index 6 is beyond tree size 6"), "{}", stderr(&o));
    let mut long = read("entry-2.proof");
    long.extend_from_slice(&read("entry-2.proof")[..45]);
    let p = temp("long.proof", &long);
    let o = ledgerless(&[&ok[..], &["--index", "2", "--proof", s(&p)]].concat());
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("proof has 4 hashes, want 3"), "{}", stderr(&o));
    let p = temp("bad.proof", b"not base64\n");
    let o = ledgerless(&[&ok[..], &["--index", "2", "--proof", s(&p)]].concat());
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("proof-format: malformed proof file: line 1"), "{}", stderr(&o));
    // Unreadable file and bad usage: exit 2.
    let o = ledgerless(&[&ok[..], &["--index", "2", "--proof", "missing.proof"]].concat());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).starts_with("error: cannot read --proof missing.proof"), "{}", stderr(&o));
    let o = ledgerless(&[&ok[..], &["--index", "-1", "--proof", "entry-2.proof"]].concat());
    assert_eq!(code(&o), 2);
}

#[test]
fn verify_consistency_and_its_rejections() {
    let o = ledgerless(&[
        "verify-consistency",
        "--vkey",
        "log.pub",
        "--old",
        "checkpoint.4",
        "--new",
        "checkpoint",
        "--proof",
        "consistency-4-6.proof",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Swapped: the "new" one is older.
    let o = ledgerless(&[
        "verify-consistency",
        "--vkey",
        "log.pub",
        "--old",
        "checkpoint",
        "--new",
        "checkpoint.4",
        "--proof",
        "consistency-4-6.proof",
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("consistency: old tree size 6 is larger than new tree size 4"),
        "{}",
        stderr(&o)
    );
    // Signs a checkpoint of size 6 with the example log's own key, and checks it as "new".
    let forged_new = |name: &str, origin: &str| {
        let text = verifier::write::format_checkpoint(&verifier::Checkpoint {
            origin: origin.to_owned(),
            size: 6,
            root_hash: verifier::leaf_hash(b"a different history"),
            extensions: vec![],
        });
        let signed = verifier::write::sign_note(&text, &[&tests::example::log_key()]).expect("sign");
        let file = temp(name, signed.as_bytes());
        ledgerless(&[
            "verify-consistency",
            "--vkey",
            "log.pub",
            "--old",
            "checkpoint.4",
            "--new",
            s(&file),
            "--proof",
            "consistency-4-6.proof",
        ])
    };
    // A fork: a checkpoint of size 6 over different entries, signed by the same key.
    let o = forged_new("fork.checkpoint", tests::example::ORIGIN);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("the log has forked"), "{}", stderr(&o));
    // A checkpoint for another origin, signed by this log's key, is refused.
    let o = forged_new("other.checkpoint", "other.example/log");
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("checkpoint origin \"other.example/log\" is not the name of its log key"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn verify_checkpoint_modes_and_usage_errors() {
    let o = ledgerless(&["verify-checkpoint", "checkpoint", "--vkey", "log.pub"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = ledgerless(&["verify-checkpoint", "checkpoint", "--policy", "policy", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["steps"][1]["check"], "witness-quorum");
    assert_eq!(r["steps"][1]["outcome"], "pass");
    // Neither or both trust flags: usage error.
    assert_eq!(code(&ledgerless(&["verify-checkpoint", "checkpoint"])), 2);
    assert_eq!(
        code(&ledgerless(&["verify-checkpoint", "checkpoint", "--vkey", "log.pub", "--policy", "policy"])),
        2
    );
    // Malformed key and policy files: usage error naming the file.
    let bad = temp("bad.pub", b"register.example.org/log+00000000+AAAA\n");
    let o = ledgerless(&["verify-checkpoint", "checkpoint", "--vkey", s(&bad)]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("malformed key"), "{}", stderr(&o));
    let bad = temp("bad.policy", b"log nonsense\nquorum none\n");
    let o = ledgerless(&["verify-checkpoint", "checkpoint", "--policy", s(&bad)]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("policy line 1"), "{}", stderr(&o));
    // Garbage checkpoint: evidence, so exit 1.
    let junk = temp("junk", b"\xff\xfe not a note");
    let o = ledgerless(&["verify-checkpoint", s(&junk), "--vkey", "log.pub"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("malformed"), "{}", stderr(&o));
}
