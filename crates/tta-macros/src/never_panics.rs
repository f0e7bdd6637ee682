//! The macro never panics: generated function and impl signatures, right
//! and wrong, and attribute arguments, each give a compile error or valid
//! output. A panic would be an unreadable "custom attribute panicked".

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use proptest::prelude::*;
use proptest::sample::select;

use crate::{attr, expand};

const ARGS: &[&str] = &[
    "",
    "name = \"x\"",
    "name = 1",
    "kind = \"llm\"",
    "fields(a = 1, b = %self.b, c = ?input)",
    "fields(= )",
    "fields(a.b.c = input.len())",
    "crate = ",
    "crate = reexport::engine",
    "gen_ai(provider = \"p\")",
    "gen_ai(provider = \"p\", model = \"m\", operation = \"embeddings\")",
    "record_input, skip_input",
    "record_input",
    "unknown",
    "name = \"a\", name = \"b\"",
];
const ATTRS: &[&str] = &[
    "",
    "#[deprecated]",
    "#[inline] #[doc = \"d\"]",
    "#[cfg(test)]",
];
const VIS: &[&str] = &["", "pub ", "pub(crate) ", "pub(in crate::m) "];
const ASYNC: &[&str] = &["async ", "", "async unsafe ", "const "];
const NAMES: &[&str] = &[
    "step", "r#match", "r#type", "_", "__", "___x", "query", "a1", "x_y_z", "self_", "Self_",
    "ñame", "_private", "execute",
];
const GENERICS: &[&str] = &[
    "",
    "<T>",
    "<'a>",
    "<'a, 'b: 'a>",
    "<'a, T: Clone>",
    "<const N: usize>",
];
const RECEIVERS: &[&str] = &[
    "",
    "&self, ",
    "self, ",
    "&mut self, ",
    "self: Box<Self>, ",
    "&'a self, ",
];
const INPUTS: &[&str] = &[
    "input: u32",
    "(a, b): (u32, u32)",
    "mut input: String",
    "query: String",
    "_: u8",
    "input: &str",
    "input: &'static str",
    "input: &'a [u8]",
    "input: impl Clone",
    "Doc { text, .. }: Doc",
    "ref input: u8",
    "",
];
const CONTEXTS: &[&str] = &[
    ", ctx: &WorkflowContext",
    ", _ctx: &Ctx",
    ", _: &tta::WorkflowContext",
    ", ctx: WorkflowContext",
    ", ctx: &mut WorkflowContext",
    "",
    ", ctx: &WorkflowContext, extra: u8",
];
const RETURNS: &[&str] = &[
    "",
    " -> tta::Result<u32>",
    " -> R<u32>",
    " -> u32",
    " -> Result",
    " -> Result<>",
    " -> impl Future<Output = u32>",
    " -> (u32,)",
    " -> !",
    " -> anyhow::Result<()>",
    " -> Result<u32, String>",
];
const WRAPPERS: &[&str] = &[
    "fn",
    "impl",
    "impl<T> Ty<T>",
    "trait impl",
    "two executes",
    "struct",
];

/// Usually `valid`, sometimes any of `all`: every part is right often
/// enough that the expansion's later stages see all the odd names and
/// shapes, not just the first check failing.
fn mostly(
    valid: &'static str,
    all: &'static [&'static str],
) -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => Just(valid), 1 => select(all)]
}

fn signature() -> impl Strategy<Value = String> {
    (
        select(ATTRS),
        select(VIS),
        mostly("async ", ASYNC),
        select(NAMES),
        mostly("", GENERICS),
        select(RECEIVERS),
        select(INPUTS),
        mostly(", ctx: &WorkflowContext", CONTEXTS),
        mostly(" -> tta::Result<u32>", RETURNS),
    )
        .prop_map(|(attrs, vis, asyncness, name, generics, receiver, input, ctx, ret)| {
            format!("{attrs} {vis}{asyncness}fn {name}{generics}({receiver}{input}{ctx}){ret} {{ Ok(1) }}")
        })
}

fn item() -> impl Strategy<Value = String> {
    (mostly("fn", WRAPPERS), signature()).prop_map(|(wrapper, function)| match wrapper {
        "fn" => function,
        "impl" => format!("impl Ty {{ {function} fn helper(&self) {{}} }}"),
        "impl<T> Ty<T>" => format!("impl<T> Ty<T> where T: Send {{ {function} }}"),
        "trait impl" => format!("impl Trait for Ty {{ {function} }}"),
        "two executes" => format!("impl Ty {{ {function} {function} }}"),
        _ => "struct Ty;".to_owned(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_macro_answers_every_signature_without_panicking(
        args in select(ARGS),
        item in item(),
    ) {
        let (Ok(args), Ok(item)) = (args.parse::<TokenStream>(), item.parse::<TokenStream>()) else {
            return Ok(());
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            attr::Options::parse(args).and_then(|options| expand::expand(options, item))
        }));
        prop_assert!(outcome.is_ok(), "the macro panicked");
    }
}
