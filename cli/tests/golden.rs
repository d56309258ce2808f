//! Golden tests of the `ledgerless` command line: every case in `tests/cmd/*.toml` (and `*.md`)
//! runs the real binary and compares its exit code, stdout and stderr with the files beside it,
//! so a change to any message or hint is a reviewed diff. Re-bless with
//! `TRYCMD=overwrite cargo test -p cli --test golden` (see tests/cmd/README.md).

#[test]
fn golden() {
    trycmd::TestCases::new().case("tests/cmd/*.toml").case("tests/cmd/*.md").skip("tests/cmd/README.md");
}
