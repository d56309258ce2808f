//! Go sumdb/tlog goldens (golang/mod sumdb/tlog): the tree note format.
//!
//! Applies here: FormatTree/ParseTree (the checkpoint body). Not here: FormatRecord (a sumdb
//! record format ledgerless does not use) and the tile tables (the log writer's tests).

use verifier::write::format_checkpoint;
use verifier::{Checkpoint, leaf_hash, parse_checkpoint};

use crate::json;

#[test]
fn format_and_parse_tree() {
    let dir = tests::vectors();
    let v = json(&dir, "go-tlog/go-tlog-goldens.json");
    let t = &v["format_tree"];
    let golden = t["golden"].as_str().expect("golden");
    let want = Checkpoint {
        origin: "go.sum database tree".to_owned(),
        size: t["tree_size"].as_u64().expect("size"),
        root_hash: leaf_hash(b"hello world"),
        extensions: Vec::new(),
    };
    assert_eq!(format_checkpoint(&want), golden);
    assert_eq!(parse_checkpoint(golden).expect("golden parses"), want);
    let bad = t["bad"].as_array().expect("bad");
    // Go rejects a different origin because sumdb fixes it; for us it parses as another log's
    // checkpoint, and is then rejected by the origin/key-name check (tested in check tests).
    assert_ne!(parse_checkpoint(bad[0].as_str().expect("s")).expect("parses").origin, want.origin);
    for b in &bad[1..] {
        assert!(parse_checkpoint(b.as_str().expect("s")).is_err(), "{b}");
    }
}
