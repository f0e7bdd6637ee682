//! Checking an `execute` signature and reading its types.

use proc_macro2::Span;
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{
    Error, FnArg, GenericArgument, Ident, Pat, PathArguments, ReceiverKind, ReturnType, Signature,
    Type,
};

/// The parts of `async fn execute(&self, input: I, ctx: &WorkflowContext) -> Result<O, E>`
/// that the expansion needs.
pub(crate) struct Execute {
    /// The name the input is bound to: the user's, when it is a plain
    /// identifier, so `fields(..)` expressions can use it.
    pub(crate) input_ident: Ident,
    pub(crate) input_ty: Type,
    pub(crate) output_ty: Type,
    /// Where a compile error about the error type points: the `E` of
    /// `Result<O, E>`, or the whole return type.
    pub(crate) error_span: Span,
}

/// Whether `execute` is a method (`impl` form) or a free function.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Method,
    Function,
}

const METHOD_SHAPE: &str =
    "expected `async fn execute(&self, input: Input, ctx: &WorkflowContext) -> Result<Output, E>`";
const FUNCTION_SHAPE: &str =
    "expected `async fn name(input: Input, ctx: &WorkflowContext) -> Result<Output, E>`";

impl Execute {
    /// Checks `sig` and reads its input and output types.
    pub(crate) fn parse(sig: &Signature, form: Form) -> syn::Result<Self> {
        let shape = match form {
            Form::Method => METHOD_SHAPE,
            Form::Function => FUNCTION_SHAPE,
        };
        if sig.asyncness.is_none() {
            return Err(Error::new(
                sig.fn_token.span,
                format!(
                    "a primitive's `{}` must be an `async fn`; {shape}",
                    sig.ident
                ),
            ));
        }
        if !sig.generics.params.is_empty() {
            return Err(Error::new_spanned(
                &sig.generics,
                "a primitive's `execute` cannot have its own generic parameters; put them on the type",
            ));
        }
        let mut inputs = sig.inputs.iter();
        if form == Form::Method {
            check_receiver(sig, inputs.next())?;
        } else if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
            return Err(Error::new_spanned(
                receiver,
                format!("`#[primitive]` on a free function takes no `self`; {shape}"),
            ));
        }
        let typed: Vec<_> = inputs.collect();
        let [input, ctx] = typed.as_slice() else {
            return Err(Error::new(
                sig.paren_token.span.join(),
                format!("wrong number of parameters; {shape}"),
            ));
        };
        let (FnArg::Typed(input), FnArg::Typed(ctx)) = (input, ctx) else {
            return Err(Error::new(sig.paren_token.span.join(), shape));
        };
        check_context(&ctx.ty)?;
        let input_ident = match &*input.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            _ => format_ident!("__tta_input"),
        };
        Ok(Self {
            input_ident,
            input_ty: (*input.ty).clone(),
            output_ty: output_type(sig)?,
            error_span: error_span(sig),
        })
    }
}

fn check_receiver(sig: &Signature, first: Option<&FnArg>) -> syn::Result<()> {
    let message = format!("a primitive's `execute` takes `&self` first; {METHOD_SHAPE}");
    match first {
        Some(FnArg::Receiver(receiver)) => match &receiver.kind {
            ReceiverKind::Reference(_, _, None) => Ok(()),
            _ => Err(Error::new_spanned(receiver, message)),
        },
        Some(other) => Err(Error::new_spanned(other, message)),
        None => Err(Error::new(sig.paren_token.span.join(), message)),
    }
}

fn check_context(ty: &Type) -> syn::Result<()> {
    let is_context = match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            last_segment_is(&reference.elem, "WorkflowContext")
        }
        _ => false,
    };
    if is_context {
        Ok(())
    } else {
        Err(Error::new_spanned(
            ty,
            "the context parameter must be `&WorkflowContext`",
        ))
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == name),
        Type::Paren(inner) => last_segment_is(&inner.elem, name),
        Type::Group(inner) => last_segment_is(&inner.elem, name),
        _ => false,
    }
}

/// The span of `E` in `-> Result<T, E>`, else of the return type.
fn error_span(sig: &Signature) -> Span {
    let ReturnType::Type(_, ty) = &sig.output else {
        return sig.output.span();
    };
    let error_arg = match &**ty {
        Type::Path(path) => {
            path.path
                .segments
                .last()
                .and_then(|segment| match &segment.arguments {
                    PathArguments::AngleBracketed(args) => args
                        .args
                        .iter()
                        .filter(|arg| matches!(arg, GenericArgument::Type(_)))
                        .nth(1),
                    _ => None,
                })
        }
        _ => None,
    };
    error_arg.map_or_else(|| ty.span(), Spanned::span)
}

/// `T` from a `Result<T>` or `Result<T, E>` return type.
fn output_type(sig: &Signature) -> syn::Result<Type> {
    let message = "a primitive must return `tta::Result<Output>` or `Result<Output, E>`, \
                   where `E` is `tta::Error`, any `std::error::Error + Send + Sync + 'static`, \
                   `String`, `&'static str`, `Box<dyn Error + Send + Sync>` or `anyhow::Error`";
    let ReturnType::Type(_, ty) = &sig.output else {
        return Err(Error::new(sig.paren_token.span.close(), message));
    };
    let ok_type = match &**ty {
        Type::Path(path) => path.path.segments.last().and_then(|segment| {
            if segment.ident != "Result" {
                return None;
            }
            match &segment.arguments {
                PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                    GenericArgument::Type(ty) => Some(ty.clone()),
                    _ => None,
                }),
                _ => None,
            }
        }),
        _ => None,
    };
    ok_type.ok_or_else(|| Error::new_spanned(ty, message))
}
