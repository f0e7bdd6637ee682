//! Parsing `#[primitive(...)]`'s options.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Path, Token, parenthesized};

const OPTIONS: &str =
    "`name`, `kind`, `gen_ai(provider, model)`, `fields`, `skip_input`, `record_input`, `crate`";

/// The options of one `#[primitive(...)]`.
#[derive(Default)]
pub(crate) struct Options {
    /// `name = "..."`: the primitive's name (default: the type's or fn's name).
    pub(crate) name: Option<LitStr>,
    /// `kind = "..."`: the `primitive_type` label (default `custom`).
    pub(crate) kind: Option<LitStr>,
    /// `gen_ai(provider = "...", model = "...", operation = "...")`: the
    /// model call the primitive makes.
    pub(crate) gen_ai: Option<GenAi>,
    /// `fields(key = expr, ...)`: extra span fields.
    pub(crate) fields: Vec<FieldSpec>,
    /// `record_input`: record the input's `Debug` form on the span.
    pub(crate) record_input: Option<Span>,
    /// `skip_input`: the default, stated explicitly.
    skip_input: Option<Span>,
    /// `crate = path`: where the `tta` facade is (default `::tta`).
    pub(crate) krate: Option<Path>,
}

/// The model call declared by `gen_ai(..)`.
pub(crate) struct GenAi {
    pub(crate) provider: LitStr,
    pub(crate) model: LitStr,
    /// `chat` unless given.
    pub(crate) operation: Option<LitStr>,
    span: Span,
}

impl GenAi {
    fn parse(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Self> {
        let (mut provider, mut model, mut operation) = (None, None, None);
        meta.parse_nested_meta(|inner| {
            let slot = if inner.path.is_ident("provider") {
                &mut provider
            } else if inner.path.is_ident("model") {
                &mut model
            } else if inner.path.is_ident("operation") {
                &mut operation
            } else {
                return Err(inner.error(
                    "unknown `gen_ai` option; expected `provider`, `model` or `operation`",
                ));
            };
            let value: LitStr = inner.value()?.parse()?;
            if value.value().trim().is_empty() {
                return Err(syn::Error::new(value.span(), "cannot be empty"));
            }
            set_once(slot, value, &inner, "this `gen_ai` option")
        })?;
        let span = span_of(&meta.path);
        let missing = |what: &str| {
            syn::Error::new(
                span,
                format!(
                    "`gen_ai` needs `{what} = \"...\"`, as in `gen_ai(provider = \"openai\", model = \"gpt-4o\")`"
                ),
            )
        };
        Ok(Self {
            provider: provider.ok_or_else(|| missing("provider"))?,
            model: model.ok_or_else(|| missing("model"))?,
            operation,
            span,
        })
    }
}

/// How a field's value is recorded.
pub(crate) enum Sigil {
    /// `key = expr`: the value implements `tracing::Value`.
    Value,
    /// `key = %expr`: recorded with `Display`.
    Display,
    /// `key = ?expr`: recorded with `Debug`.
    Debug,
}

/// One `key = [%|?]expr` of `fields(...)`.
pub(crate) struct FieldSpec {
    /// The field name; dotted keys such as `llm.model` are allowed.
    pub(crate) key: LitStr,
    pub(crate) sigil: Sigil,
    pub(crate) value: Expr,
}

impl Parse for FieldSpec {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // Field names may be keywords (`type`), and dotted, as in `tracing`.
        let first: Ident = input.call(Ident::parse_any)?;
        let mut key = first.to_string();
        while input.peek(Token![.]) {
            input.parse::<Token![.]>()?;
            let part: Ident = input.call(Ident::parse_any)?;
            key.push('.');
            key.push_str(&part.to_string());
        }
        input.parse::<Token![=]>()?;
        let sigil = if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            Sigil::Display
        } else if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            Sigil::Debug
        } else {
            Sigil::Value
        };
        Ok(Self {
            key: LitStr::new(&key, first.span()),
            sigil,
            value: input.parse()?,
        })
    }
}

impl Options {
    /// Parses the attribute's arguments.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut options = Options::default();
        let parser = syn::meta::parser(|meta| options.parse_one(meta));
        parser.parse2(args)?;
        options.validate()?;
        Ok(options)
    }

    fn parse_one(&mut self, meta: syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
        let path = &meta.path;
        if path.is_ident("name") {
            let value: LitStr = meta.value()?.parse()?;
            set_once(&mut self.name, value, &meta, "name")
        } else if path.is_ident("kind") {
            let value: LitStr = meta.value()?.parse()?;
            set_once(&mut self.kind, value, &meta, "kind")
        } else if path.is_ident("gen_ai") {
            let value = GenAi::parse(&meta)?;
            set_once(&mut self.gen_ai, value, &meta, "gen_ai")
        } else if path.is_ident("fields") {
            if !self.fields.is_empty() {
                return Err(
                    meta.error("`fields` is given twice; list every field in one `fields(..)`")
                );
            }
            let content;
            parenthesized!(content in meta.input);
            let fields = Punctuated::<FieldSpec, Token![,]>::parse_terminated(&content)?;
            self.fields = fields.into_iter().collect();
            Ok(())
        } else if path.is_ident("record_input") {
            set_once(&mut self.record_input, span_of(path), &meta, "record_input")
        } else if path.is_ident("skip_input") {
            set_once(&mut self.skip_input, span_of(path), &meta, "skip_input")
        } else if path.is_ident("crate") {
            let value: Path = meta.value()?.parse()?;
            set_once(&mut self.krate, value, &meta, "crate")
        } else {
            let name = path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            Err(meta.error(format!(
                "unknown option `{name}`; expected one of: {OPTIONS}"
            )))
        }
    }

    fn validate(&self) -> syn::Result<()> {
        if let (Some(_), Some(skip)) = (self.record_input, self.skip_input) {
            return Err(syn::Error::new(
                skip,
                "`skip_input` and `record_input` contradict each other; keep one",
            ));
        }
        if let (Some(gen_ai), Some(_)) = (&self.gen_ai, &self.kind) {
            return Err(syn::Error::new(
                gen_ai.span,
                "a `gen_ai` primitive's kind is `llm`; drop `kind`",
            ));
        }
        for (option, value) in [("name", &self.name), ("kind", &self.kind)] {
            if let Some(value) = value
                && value.value().trim().is_empty()
            {
                return Err(syn::Error::new(
                    value.span(),
                    format!("`{option}` cannot be empty"),
                ));
            }
        }
        Ok(())
    }
}

fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    meta: &syn::meta::ParseNestedMeta<'_>,
    option: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("`{option}` is given twice")));
    }
    *slot = Some(value);
    Ok(())
}

fn span_of(path: &Path) -> Span {
    path.segments
        .first()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}
