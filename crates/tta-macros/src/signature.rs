//! Checking an `execute` signature and reading its parts.
//!
//! Only the shape is checked here: an `async fn`, the receiver, two
//! parameters, an owned input, a context by reference, a return type. The
//! types themselves (that the context is a `WorkflowContext`, that the
//! return type is a `Result`, under any alias) are left to the type system,
//! through traits whose messages are written for the user.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{
    Error, FnArg, GenericArgument, GenericParam, Pat, PathArguments, ReceiverKind, ReturnType,
    Signature, Type,
};

/// The parts of `async fn execute(&self, input: I, ctx: &WorkflowContext) -> Result<O, E>`
/// that the expansion needs.
pub(crate) struct Execute {
    /// The input's pattern as the user wrote it: rebound by reference so
    /// that `fields(..)` may name it, or the names it destructures.
    pub(crate) input_pat: Pat,
    pub(crate) input_ty: Type,
    /// The context's pattern (`ctx`, `_ctx`, `_`), rebound for `fields(..)`.
    pub(crate) ctx_pat: Pat,
    /// The type behind the context's `&`, checked to be `WorkflowContext`.
    pub(crate) ctx_ty: Type,
    /// The return type: `Result<O, E>`, or any alias of one.
    pub(crate) return_ty: Type,
    /// `O`, when the return type is spelled `..Result<O, ..>`; otherwise the
    /// type system reads it through an alias.
    pub(crate) output_ty: Option<Type>,
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
    /// Checks `sig`'s shape and reads its parts.
    pub(crate) fn parse(sig: &Signature, form: Form) -> syn::Result<Self> {
        let shape = match form {
            Form::Method => METHOD_SHAPE,
            Form::Function => FUNCTION_SHAPE,
        };
        if form == Form::Function
            && let Some(FnArg::Receiver(receiver)) = sig.inputs.first()
        {
            return Err(Error::new_spanned(
                receiver,
                "put `#[primitive]` on the `impl` block that holds this method, \
                 not on the method",
            ));
        }
        if sig.asyncness.is_none() {
            return Err(Error::new(
                sig.fn_token.span,
                format!(
                    "a primitive's `{}` must be an `async fn`; {shape}",
                    sig.ident
                ),
            ));
        }
        check_generics(sig, form)?;
        let mut inputs = sig.inputs.iter();
        if form == Form::Method {
            check_receiver(sig, inputs.next())?;
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
        check_owned_input(&input.ty)?;
        let ctx_ty = context_type(&ctx.ty)?;
        let ReturnType::Type(_, return_ty) = &sig.output else {
            return Err(Error::new(sig.paren_token.span.close(), NOT_RESULT));
        };
        if surely_not_result(return_ty) {
            return Err(Error::new_spanned(return_ty, NOT_RESULT));
        }
        Ok(Self {
            input_pat: (*input.pat).clone(),
            input_ty: (*input.ty).clone(),
            ctx_pat: (*ctx.pat).clone(),
            ctx_ty,
            return_ty: (**return_ty).clone(),
            output_ty: spelled_output(return_ty),
            error_span: error_span(return_ty),
        })
    }
}

const NOT_RESULT: &str = "a primitive must return `tta::Result<Output>` or `Result<Output, E>` \
     (an alias of `Result` works too), where `E` is `tta::Error`, any \
     `std::error::Error + Send + Sync + 'static`, `String`, `&'static str`, \
     `Box<dyn Error + Send + Sync>` or `anyhow::Error`";

/// `O` from a type spelled `Result<O>` or `path::Result<O, E>`.
fn spelled_output(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
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
}

/// Types no alias can make a `Result`: rejected here with one message,
/// rather than by the type system at every use of the output type.
fn surely_not_result(ty: &Type) -> bool {
    const NOT_RESULTS: [&str; 22] = [
        "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32",
        "i64", "i128", "isize", "f32", "f64", "String", "Vec", "Option", "Box", "HashMap",
    ];
    match ty {
        Type::Path(path) => {
            path.qself.is_none()
                && path
                    .path
                    .segments
                    .last()
                    .is_some_and(|segment| NOT_RESULTS.iter().any(|name| segment.ident == name))
        }
        Type::Paren(inner) => surely_not_result(&inner.elem),
        Type::Group(inner) => surely_not_result(&inner.elem),
        Type::Macro(_) | Type::Infer(_) => false,
        _ => true,
    }
}

/// Lifetime parameters are harmless; type and const parameters have no
/// place to come from when the primitive is called.
fn check_generics(sig: &Signature, form: Form) -> syn::Result<()> {
    let Some(param) = sig
        .generics
        .params
        .iter()
        .find(|param| !matches!(param, GenericParam::Lifetime(_)))
    else {
        return Ok(());
    };
    let message = match form {
        Form::Method => {
            "`execute` cannot have type or const parameters of its own; \
             put them on the type: `#[primitive] impl<T> MyStep<T> { .. }`"
        }
        Form::Function => {
            "a generic function cannot be a primitive: its struct would not know the types; \
             write a generic struct with `#[primitive] impl<T> MyStep<T> { async fn execute(..) }` \
             instead"
        }
    };
    Err(Error::new_spanned(param, message))
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

/// An input moves into the step: a borrowed one (other than `'static`)
/// could not outlive the caller's stack frame.
fn check_owned_input(ty: &Type) -> syn::Result<()> {
    match ty {
        Type::Reference(reference)
            if reference
                .lifetime
                .as_ref()
                .is_none_or(|lifetime| lifetime.ident != "static") =>
        {
            let owned = match &*reference.elem {
                Type::Path(path) if path.path.is_ident("str") => "`String`".to_owned(),
                Type::Slice(slice) => {
                    let elem = &slice.elem;
                    format!("`Vec<{}>`", quote::quote!(#elem))
                }
                other => format!("`{}`", quote::quote!(#other)),
            };
            Err(Error::new_spanned(
                ty,
                format!(
                    "a primitive's input is owned: it moves into the step, which may run \
                     on another thread after the caller returns; take {owned} instead"
                ),
            ))
        }
        Type::Paren(inner) => check_owned_input(&inner.elem),
        _ => Ok(()),
    }
}

/// The `T` of the context's `&T`; the type system checks it is the context.
fn context_type(ty: &Type) -> syn::Result<Type> {
    match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            Ok((*reference.elem).clone())
        }
        Type::Paren(inner) => context_type(&inner.elem),
        _ => Err(Error::new_spanned(
            ty,
            "the context parameter is borrowed: `ctx: &WorkflowContext`",
        )),
    }
}

/// The span of `E` in `-> Result<T, E>`, else of the return type.
fn error_span(ty: &Type) -> Span {
    let error_arg = match ty {
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
