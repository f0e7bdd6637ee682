//! `#[primitive]`: turns a user type into a TTA.dev primitive.
//!
//! Use it through the `tta` facade (`use tta::prelude::*`), which documents
//! it in full. This crate is laid out like `tracing-attributes`:
//!
//! - `attr` parses the attribute's options;
//! - `signature` checks the `execute` signature and reads its types;
//! - `expand` generates the `Primitive` impl and the operators.
//!
//! Every error points at the offending tokens, and the user's item is
//! emitted unchanged beside it, so the rest of the code still type-checks
//! and IDEs keep working.

use proc_macro::TokenStream;
use quote::ToTokens;

mod attr;
mod expand;
mod signature;

#[cfg(test)]
mod never_panics;

/// Makes a type a TTA.dev primitive. See the `tta` crate's documentation.
#[proc_macro_attribute]
pub fn primitive(args: TokenStream, item: TokenStream) -> TokenStream {
    let item2 = proc_macro2::TokenStream::from(item.clone());
    let result = attr::Options::parse(args.into())
        .and_then(|options| expand::expand(options, item2.clone()));
    match result {
        Ok(tokens) => tokens.into(),
        Err(error) => {
            // Keep the user's item so the rest of their code still compiles.
            let mut tokens = error.to_compile_error();
            item2.to_tokens(&mut tokens);
            tokens.into()
        }
    }
}
