//! [`Collected`]: a streaming primitive whose stream is read to the end.

use std::borrow::Cow;

use super::ChunkStream;
use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// Reads its inner primitive's stream to the end and outputs every chunk;
/// built with [`PrimitiveExt::collected`].
///
/// Put it where a step needs the whole answer: `stream >> next` does not
/// compile when `next` takes the answer rather than a
/// [`ChunkStream`] (its input type is not the stream's), and
/// `stream.collected() >> next` does. The inner call's span ends inside
/// this one, when the stream ends.
///
/// ```
/// use futures_util::stream;
/// use tta_core::stream::ChunkStream;
/// use tta_core::{from_fn, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// let words = from_fn("words", |text: String, _ctx| async move {
///     let words: Vec<tta_core::Result<String>> = text.split(' ').map(|w| Ok(w.to_owned())).collect();
///     ChunkStream::open(stream::iter(words)).await
/// });
/// let count = from_fn("count", |words: Vec<String>, _ctx| async move { Ok(words.len()) });
/// let pipeline = words.collected() >> count;
/// assert_eq!(pipeline.run("one two three".to_owned()).await?, 3);
/// # Ok(())
/// # }
/// ```
pub struct Collected<P> {
    inner: P,
    meta: Meta,
}

impl<P: Primitive> Collected<P> {
    /// Collects `inner`'s stream. Same as [`PrimitiveExt::collected`].
    pub fn new(inner: P) -> Self {
        Self {
            meta: Meta::new(format!("collected({})", inner.name()), Kind::new("collect")),
            inner,
        }
    }
}

impl<P, T> Primitive for Collected<P>
where
    P: Primitive<Output = ChunkStream<T>>,
    T: Send + 'static,
{
    type Input = P::Input;
    type Output = Vec<T>;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<Vec<T>> {
        self.inner
            .call_at(input, ctx, Position::Inner)
            .await?
            .collect_vec()
            .await
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P,] for Collected<P>);
