//! Generating the `Primitive` impl and the operators.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Error, Ident, ImplItem, Item, ItemFn, ItemImpl, LitStr, Path, Type};

use crate::attr::{Options, Sigil};
use crate::signature::{Execute, Form};

/// Expands `#[primitive]` on `item`.
pub(crate) fn expand(options: Options, item: TokenStream) -> syn::Result<TokenStream> {
    match syn::parse2::<Item>(item)? {
        Item::Impl(item) => expand_impl(&options, item),
        Item::Fn(item) => expand_fn(&options, item),
        other => Err(Error::new(
            first_token_span(&other),
            "`#[primitive]` goes on an `impl` block that has an `async fn execute`, \
             or on an `async fn`",
        )),
    }
}

/// `#[primitive] impl Type { async fn execute(&self, input, ctx) -> Result<..> }`.
fn expand_impl(options: &Options, item: ItemImpl) -> syn::Result<TokenStream> {
    if let Some((path, _)) = &item.trait_ {
        return Err(Error::new_spanned(
            path,
            "`#[primitive]` goes on an inherent `impl Type { .. }` block, not a trait impl",
        ));
    }
    let mut executes = item.items.iter().filter_map(|item| match item {
        ImplItem::Fn(method) if method.sig.ident == "execute" => Some(method),
        _ => None,
    });
    let Some(method) = executes.next() else {
        return Err(Error::new_spanned(
            &item.self_ty,
            "this impl needs an `async fn execute(&self, input: Input, ctx: &WorkflowContext) \
             -> Result<Output, E>`",
        ));
    };
    if let Some(second) = executes.next() {
        return Err(Error::new(
            second.sig.ident.span(),
            "a primitive has exactly one `execute`; this is a second one",
        ));
    }
    let execute = Execute::parse(&method.sig, Form::Method)?;
    let krate = krate(options);
    let self_ty = &item.self_ty;
    let default_name = type_name(self_ty);
    let body = primitive_body(
        options,
        &krate,
        &execute,
        &default_name,
        |input, ctx| quote!(<#self_ty>::execute(self, #input, #ctx)),
    );
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let params = item.generics.params.iter();
    let predicates = item
        .generics
        .where_clause
        .iter()
        .flat_map(|clause| clause.predicates.iter());
    Ok(quote! {
        #item

        #[automatically_derived]
        impl #impl_generics #krate::Primitive for #self_ty #where_clause {
            #body
        }

        #krate::__private::impl_operators!(impl [#(#params,)*] for #self_ty where [#(#predicates,)*]);
    })
}

/// `#[primitive] async fn validate(input, ctx) -> Result<..>`: a unit struct
/// `Validate` whose `execute` calls the function.
fn expand_fn(options: &Options, item: ItemFn) -> syn::Result<TokenStream> {
    let execute = Execute::parse(&item.sig, Form::Function)?;
    let krate = krate(options);
    let function = &item.sig.ident;
    let type_ident = format_ident!(
        "{}",
        pascal_case(&function.to_string()),
        span = function.span()
    );
    let vis = &item.vis;
    let body = primitive_body(
        options,
        &krate,
        &execute,
        &function.to_string(),
        |input, ctx| quote!(#function(#input, #ctx)),
    );
    let doc = format!("The primitive form of [`{function}`], made by `#[primitive]`.");
    Ok(quote! {
        #item

        #[doc = #doc]
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #type_ident;

        #[automatically_derived]
        impl #krate::Primitive for #type_ident {
            #body
        }

        #krate::__private::impl_operators!(#type_ident);
    })
}

/// The items of the `Primitive` impl, around a call to the user's function.
fn primitive_body(
    options: &Options,
    krate: &Path,
    execute: &Execute,
    default_name: &str,
    call: impl FnOnce(&Ident, &Ident) -> TokenStream,
) -> TokenStream {
    let Execute {
        input_ident,
        input_ty,
        output_ty,
        error_span,
    } = execute;
    let ctx = format_ident!("__tta_ctx");
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(default_name, Span::call_site()));
    let kind = match &options.kind {
        Some(kind) => quote!(#krate::Kind::new(#kind)),
        None => quote!(#krate::Kind::CUSTOM),
    };
    let meta = match &options.gen_ai {
        Some(gen_ai) => {
            let (provider, model) = (&gen_ai.provider, &gen_ai.model);
            let operation = gen_ai
                .operation
                .clone()
                .unwrap_or_else(|| LitStr::new("chat", Span::call_site()));
            quote!(#krate::Meta::gen_ai_static(
                #name,
                #krate::instrument::GenAiCall::from_static(#operation, #provider, #model)
            ))
        }
        None => quote!(#krate::Meta::from_static(#name, #kind)),
    };
    let (opener, with_opener) = span_opener(options, krate);
    let records = field_records(options, krate, input_ident, &ctx);
    let call = call(input_ident, &ctx);
    // Spanned at the user's error type, so an unsupported one is blamed there.
    let convert = quote_spanned!(*error_span=> (&error).tta_error_tag().convert(error));
    quote! {
        type Input = #input_ty;
        type Output = #output_ty;

        fn meta(&self) -> &#krate::Meta {
            #opener
            static META: #krate::Meta = #meta #with_opener;
            &META
        }

        #[allow(clippy::manual_async_fn)]
        fn execute<'__tta>(
            &'__tta self,
            #input_ident: Self::Input,
            #ctx: &'__tta #krate::WorkflowContext,
        ) -> impl ::core::future::Future<Output = #krate::Result<Self::Output>>
               + ::core::marker::Send
               + '__tta {
            async move {
                #records
                match #call.await {
                    ::core::result::Result::Ok(output) => ::core::result::Result::Ok(output),
                    ::core::result::Result::Err(error) => {
                        #[allow(unused_imports)]
                        use #krate::__private::{ViaInto as _, ViaPrimitiveError as _};
                        ::core::result::Result::Err(#convert)
                    }
                }
            }
        }
    }
}

/// A span opener that declares the extra fields, when there are any.
fn span_opener(options: &Options, krate: &Path) -> (TokenStream, TokenStream) {
    let mut keys: Vec<LitStr> = options.fields.iter().map(|f| f.key.clone()).collect();
    if let Some(span) = options.record_input {
        keys.push(LitStr::new("tta.input", span));
    }
    if keys.is_empty() {
        return (TokenStream::new(), TokenStream::new());
    }
    let opener = quote! {
        fn __tta_open_span(
            meta: &#krate::Meta,
            ctx: &#krate::WorkflowContext,
            position: #krate::Position,
        ) -> #krate::__private::tracing::Span {
            #krate::__private::primitive_span!(
                meta, ctx, position,
                #(#keys = #krate::__private::tracing::field::Empty,)*
            )
        }
    };
    (opener, quote!(.with_span_opener(__tta_open_span)))
}

/// Records `fields(..)` and `record_input` on the execution's span.
fn field_records(options: &Options, krate: &Path, input: &Ident, ctx: &Ident) -> TokenStream {
    let fields = options.fields.iter().map(|field| {
        let key = &field.key;
        let value = &field.value;
        let value = match field.sigil {
            Sigil::Value => quote!(#value),
            Sigil::Display => quote!(#krate::__private::tracing::field::display(&#value)),
            Sigil::Debug => quote!(#krate::__private::tracing::field::debug(&#value)),
        };
        quote!(#krate::__private::record_on_own_span(#ctx, #key, #value);)
    });
    let input_record = options.record_input.map(|_| {
        quote! {
            #krate::__private::record_on_own_span(
                #ctx,
                "tta.input",
                #krate::__private::tracing::field::debug(&#input),
            );
        }
    });
    quote!(#(#fields)* #input_record)
}

fn krate(options: &Options) -> Path {
    options
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::tta))
}

/// `DataProcessor` for `DataProcessor<T>` or `crate::DataProcessor`.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| quote!(#ty).to_string(), |s| s.ident.to_string()),
        other => quote!(#other).to_string(),
    }
}

/// `validate_input` → `ValidateInput`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

fn first_token_span(item: &Item) -> Span {
    quote!(#item)
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
}

#[cfg(test)]
mod tests {
    use super::pascal_case;

    #[test]
    fn pascal_case_joins_snake_parts() {
        assert_eq!(pascal_case("validate"), "Validate");
        assert_eq!(pascal_case("enrich_doc_v2"), "EnrichDocV2");
        assert_eq!(pascal_case("_private_step"), "PrivateStep");
    }
}
