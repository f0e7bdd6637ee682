//! Generating the `Primitive` impl and the operators.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Error, Ident, ImplItem, Item, ItemFn, ItemImpl, LitStr, Pat, Path, Type};

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
    let operators = operators(&krate, &item.generics, self_ty);
    let item = allow_unused_async(item.clone());
    Ok(quote! {
        #item

        #[automatically_derived]
        #[allow(deprecated)]
        impl #impl_generics #krate::Primitive for #self_ty #where_clause {
            #body
        }

        #operators
    })
}

/// `>>` and `|` for the type, as `tta::impl_operators!` writes them for
/// hand-written primitives. Generated here rather than through that macro,
/// so that an error at a use of `|` (an input that is not `Clone`) is
/// reported as coming from `#[primitive]`, the code the user wrote.
fn operators(krate: &Path, generics: &syn::Generics, self_ty: &Type) -> TokenStream {
    let params: Vec<_> = generics.params.iter().collect();
    let predicates: Vec<_> = generics
        .where_clause
        .iter()
        .flat_map(|clause| clause.predicates.iter())
        .collect();
    quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl<#(#params,)* __TtaNext> ::core::ops::Shr<__TtaNext> for #self_ty
        where
            Self: #krate::Primitive,
            __TtaNext: #krate::Primitive<Input = <Self as #krate::Primitive>::Output>,
            #(#predicates,)*
        {
            type Output = #krate::Sequential<#krate::compose::Chain<Self, #krate::compose::Last<__TtaNext>>>;

            fn shr(self, next: __TtaNext) -> Self::Output {
                #krate::Sequential::new(self, next)
            }
        }

        #[automatically_derived]
        #[allow(deprecated)]
        impl<#(#params,)* __TtaOther> ::core::ops::BitOr<__TtaOther> for #self_ty
        where
            Self: #krate::Primitive,
            __TtaOther: #krate::Primitive<Input = <Self as #krate::Primitive>::Input>,
            <__TtaOther as #krate::Primitive>::Input: #krate::ParallelInput,
            #(#predicates,)*
        {
            type Output = #krate::Parallel<(Self, __TtaOther)>;

            fn bitor(self, other: __TtaOther) -> Self::Output {
                #krate::Parallel::new(self, other)
            }
        }
    }
}

/// The contract requires `execute` to be `async` even when it never awaits,
/// so clippy's `unused_async` is not the user's to fix.
fn allow_unused_async(mut item: ItemImpl) -> ItemImpl {
    for member in &mut item.items {
        if let ImplItem::Fn(method) = member
            && method.sig.ident == "execute"
        {
            method
                .attrs
                .push(syn::parse_quote!(#[allow(clippy::unused_async)]));
        }
    }
    item
}

/// `#[primitive] async fn validate(input, ctx) -> Result<..>`: a unit struct
/// `Validate` whose `execute` calls the function.
fn expand_fn(options: &Options, mut item: ItemFn) -> syn::Result<TokenStream> {
    let execute = Execute::parse(&item.sig, Form::Function)?;
    let krate = krate(options);
    let function = &item.sig.ident;
    // `r#match` is the function `match`, and its primitive `Match`.
    let plain_name = function.unraw().to_string();
    let type_ident = struct_ident(&plain_name, function)?;
    let vis = &item.vis;
    let body = primitive_body(
        options,
        &krate,
        &execute,
        &plain_name,
        |input, ctx| quote!(#function(#input, #ctx)),
    );
    let doc = format!("The primitive form of [`{plain_name}`], made by `#[primitive]`.");
    let operators = operators(
        &krate,
        &syn::Generics::default(),
        &syn::parse_quote!(#type_ident),
    );
    // The contract requires `async` even of a step that never awaits.
    item.attrs
        .push(syn::parse_quote!(#[allow(clippy::unused_async)]));
    Ok(quote! {
        #item

        #[doc = #doc]
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #type_ident;

        #[automatically_derived]
        #[allow(deprecated)]
        impl #krate::Primitive for #type_ident {
            #body
        }

        #operators
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
        input_ty,
        ctx_ty,
        return_ty,
        output_ty,
        error_span,
        ..
    } = execute;
    // Our own names for the parameters: the user's may shadow their own
    // function (`async fn query(query: String, ..)`).
    let input = format_ident!("__tta_input");
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
    // The context as the user's parameter type: for `WorkflowContext` under
    // any alias, itself; for anything else, one error at the user's type.
    let user_ctx = format_ident!("__tta_user_ctx");
    let as_user_ctx = quote_spanned!(ctx_ty.span()=>
        let #user_ctx = <#ctx_ty as #krate::ContextParameter>::of(#ctx);
    );
    let records = field_records(options, krate, execute, &input, &user_ctx);
    let call = call(&input, &user_ctx);
    // Spanned at the user's tokens, so that the type system's verdict on
    // them (an unsupported error type, a return type that is no `Result`,
    // a context of another type) is reported there.
    let convert = quote_spanned!(*error_span=> (&error).tta_error_tag().convert(error));
    let output = match output_ty {
        Some(output) => quote!(#output),
        None => quote_spanned!(return_ty.span()=> <#return_ty as #krate::PrimitiveReturn>::Ok),
    };
    quote! {
        type Input = #input_ty;
        type Output = #output;

        fn meta(&self) -> &#krate::Meta {
            #opener
            static META: #krate::Meta = #meta #with_opener;
            &META
        }

        #[allow(clippy::manual_async_fn, deprecated)]
        fn execute<'__tta>(
            &'__tta self,
            #input: Self::Input,
            #ctx: &'__tta #krate::WorkflowContext,
        ) -> impl ::core::future::Future<Output = #krate::Result<Self::Output>>
               + ::core::marker::Send
               + '__tta {
            #as_user_ctx
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

/// Records `fields(..)` and `record_input` on the execution's span, in a
/// block where the user's parameter names are bound: the input by
/// reference, as `#[tracing::instrument]` does, and the context.
fn field_records(
    options: &Options,
    krate: &Path,
    execute: &Execute,
    input: &Ident,
    ctx: &Ident,
) -> TokenStream {
    if options.fields.is_empty() && options.record_input.is_none() {
        return TokenStream::new();
    }
    let fields = options.fields.iter().map(|field| {
        let key = &field.key;
        let value = &field.value;
        let value = match field.sigil {
            Sigil::Value => quote!(&(#value)),
            Sigil::Display => quote!(#krate::__private::tracing::field::display(&(#value))),
            Sigil::Debug => quote!(#krate::__private::tracing::field::debug(&(#value))),
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
    let (input_pat, ctx_pat) = (strip_mut(&execute.input_pat), strip_mut(&execute.ctx_pat));
    quote! {
        {
            #[allow(unused_variables, clippy::used_underscore_binding)]
            let #input_pat = &#input;
            #[allow(unused_variables, clippy::used_underscore_binding)]
            let #ctx_pat = #ctx;
            #(#fields)*
            #input_record
        }
    }
}

/// The pattern without `mut` on its bindings: they are rebound by
/// reference, only to be read.
fn strip_mut(pattern: &Pat) -> Pat {
    let mut pattern = pattern.clone();
    strip_mut_in(&mut pattern);
    pattern
}

fn strip_mut_in(pattern: &mut Pat) {
    match pattern {
        Pat::Ident(binding) => {
            binding.mutability = None;
            binding.by_ref = None;
            if let Some((_, sub)) = &mut binding.subpat {
                strip_mut_in(sub);
            }
        }
        Pat::Tuple(tuple) => tuple.elems.iter_mut().for_each(strip_mut_in),
        Pat::TupleStruct(tuple) => tuple.elems.iter_mut().for_each(strip_mut_in),
        Pat::Struct(structure) => structure
            .fields
            .iter_mut()
            .for_each(|field| strip_mut_in(&mut field.pat)),
        Pat::Slice(slice) => slice.elems.iter_mut().for_each(strip_mut_in),
        Pat::Reference(reference) => strip_mut_in(&mut reference.pat),
        Pat::Paren(paren) => strip_mut_in(&mut paren.pat),
        Pat::Type(typed) => strip_mut_in(&mut typed.pat),
        _ => {}
    }
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

/// The struct for function `name`: `Validate` for `validate`.
fn struct_ident(name: &str, function: &Ident) -> syn::Result<Ident> {
    let pascal = pascal_case(name);
    // `__` or a name that is a keyword once capitalised (`Self`) has no
    // usable struct name; say so rather than panic.
    match syn::parse_str::<Ident>(&pascal) {
        Ok(ident) if !pascal.is_empty() && pascal != "Self" => {
            Ok(Ident::new(&ident.to_string(), function.span()))
        }
        _ => Err(Error::new(
            function.span(),
            format!(
                "`#[primitive]` names the primitive's struct after the function in \
                 `PascalCase`, and `{name}` gives none; rename the function"
            ),
        )),
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
