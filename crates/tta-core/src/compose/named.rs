//! [`Named`]: a primitive under another name.

use std::borrow::Cow;
use std::future::Future;

use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::Meta;
use crate::primitive::Primitive;

/// A primitive reported under another name; made by
/// [`PrimitiveExt::named`](crate::PrimitiveExt::named).
///
/// It replaces the inner primitive's identity rather than wrapping it, so
/// there is still one span per execution, not two, and a wrapper's own
/// metrics (a cache's hits, a retry's attempts) take the new name too; see
/// [`Primitive::adopt_name`].
///
/// ```
/// use tta_core::{from_fn, Primitive, PrimitiveExt};
///
/// let step = from_fn("a", |x: u8, _ctx| async move { Ok(x) });
/// let pipeline = (step >> from_fn("b", |x: u8, _ctx| async move { Ok(x) })).named("ingest");
/// assert_eq!(pipeline.name(), "ingest");
/// ```
pub struct Named<P> {
    inner: P,
    meta: Meta,
}

impl<P: Primitive> Named<P> {
    pub(crate) fn new(mut inner: P, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        inner.adopt_name(&name);
        let meta = inner.meta().renamed(name);
        Self { inner, meta }
    }

    /// The renamed primitive.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: Primitive> Primitive for Named<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn execute<'a>(
        &'a self,
        input: P::Input,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<P::Output>> + Send + 'a {
        self.inner.execute(input, ctx)
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.inner.adopt_name(name);
        self.meta = self.meta.renamed(name.clone());
    }

    /// The inner primitive's: a rename is the same execution, one span.
    fn children(&self) -> Vec<Graph> {
        self.inner.children()
    }
}

crate::impl_operators!(impl [P,] for Named<P>);
