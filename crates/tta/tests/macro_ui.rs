//! `#[primitive]` accepts the documented forms and the code users write,
//! and rejects mistakes with precise errors in their terms. The expected
//! compiler output is committed beside each failing case; regenerate it with
//! `TRYBUILD=overwrite cargo test -p tta --test macro_ui` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}

/// What a user reads never names the expansion's internals.
#[test]
fn no_error_names_our_internals() {
    const INTERNALS: [&str; 6] = [
        "__private",
        "tta_error_tag",
        "ViaInto",
        "ViaPrimitiveError",
        "impl_operators",
        "__tta",
    ];
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/ui/fail").expect("the fail cases") {
        let path = entry.expect("a directory entry").path();
        if path
            .extension()
            .is_some_and(|extension| extension == "stderr")
        {
            let text = std::fs::read_to_string(&path).expect("a readable snapshot");
            for internal in INTERNALS {
                assert!(
                    !text.contains(internal),
                    "{} names `{internal}`:\n{text}",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} snapshots found");
}
