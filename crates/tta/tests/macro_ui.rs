//! `#[primitive]` accepts the documented forms and rejects mistakes with
//! precise errors. The expected compiler output is committed beside each
//! failing case; regenerate it with `TRYBUILD=overwrite cargo test -p tta --test macro_ui`
//! and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
