//! tlog-policy errors name the line of a control character or of invalid UTF-8 (issue 12,
//! item 11: they said "line 0").

#[test]
fn control_characters_and_bad_utf8_are_named_by_line() {
    let good = "log example.com/log+12345678+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
    for (text, line) in [
        (b"\x01quorum none\n".to_vec(), 1),
        (format!("{good}# comment\nquorum\x0bnone\n").into_bytes(), 3),
        (format!("{good}quorum none\r\n").into_bytes(), 2),
        (format!("{good}\n\nquorum none\x7f").into_bytes(), 4),
        ([good.as_bytes(), b"# \xff\n"].concat(), 2),
    ] {
        let e = verifier::parse_policy(&text).expect_err("must be refused");
        assert_eq!(e.line, line, "{e} in {text:?}");
        assert!(e.to_string().starts_with(&format!("policy line {line}: ")), "{e}");
    }
}
