//! Day-one user code that `#[primitive]` takes, each shape run.

use std::sync::Arc;

use tta::prelude::*;
use tta::WorkflowContext as Ctx;

// An input that is not `Clone`: a channel end. `>>` moves it along.
struct Request {
    reply: tokio::sync::oneshot::Sender<String>,
    text: String,
}

#[primitive]
async fn answer(request: Request, _ctx: &WorkflowContext) -> tta::Result<usize> {
    let length = request.text.len();
    let _ = request.reply.send(request.text.to_uppercase());
    Ok(length)
}

#[primitive]
async fn double(n: usize, _ctx: &WorkflowContext) -> tta::Result<usize> {
    Ok(n * 2)
}

// The input is named like its function.
#[primitive]
async fn query(query: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(format!("q:{query}"))
}

// A raw identifier.
#[primitive]
async fn r#match(text: String, _ctx: &WorkflowContext) -> tta::Result<bool> {
    Ok(text.contains("match"))
}

// Result aliases.
#[derive(Debug, thiserror::Error)]
#[error("app error")]
struct AppError;
type R<T> = Result<T, AppError>;
type AppResult<T> = std::result::Result<T, AppError>;

#[primitive]
async fn aliased(n: u8, _ctx: &WorkflowContext) -> R<u8> {
    if n == 0 { Err(AppError) } else { Ok(n) }
}

#[primitive]
async fn app_aliased(n: u8, _ctx: &WorkflowContext) -> AppResult<u8> {
    Ok(n + 1)
}

#[primitive]
async fn io_result(n: u8, _ctx: &WorkflowContext) -> std::io::Result<u8> {
    Ok(n)
}

// The context through an alias, and as `_`.
#[primitive]
async fn via_alias(n: u8, ctx: &Ctx) -> tta::Result<bool> {
    Ok(ctx.workflow_id().len() > n as usize)
}

#[primitive]
async fn underscore_ctx(n: u8, _: &WorkflowContext) -> tta::Result<u8> {
    Ok(n)
}

// `fields(..)` by reference: a `String` of `self`, the input, the context,
// and names a pattern binds.
struct Model {
    model: String,
}

#[primitive(fields(model = self.model, prompt = input, run = %ctx.workflow_id()))]
impl Model {
    async fn execute(&self, input: String, ctx: &WorkflowContext) -> tta::Result<String> {
        let _ = ctx;
        Ok(format!("{}:{input}", self.model))
    }
}

#[primitive(fields(left = a, right = b, sum = a + b))]
async fn add_pair((a, b): (u32, u32), _ctx: &WorkflowContext) -> tta::Result<u32> {
    Ok(a + b)
}

#[primitive(fields(chars = input.len()), record_input)]
async fn mutated(mut input: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    input.push('!');
    Ok(input)
}

// An explicit lifetime on `execute`.
struct Borrowing;

#[primitive]
impl Borrowing {
    async fn execute<'a>(&'a self, input: u32, _ctx: &'a WorkflowContext) -> tta::Result<u32> {
        Ok(input + 1)
    }
}

// A `'static` borrowed input is owned enough.
#[primitive]
async fn greet(name: &'static str, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(format!("hello {name}"))
}

// Outputs of every shape.
#[primitive]
async fn nothing(_n: u8, _ctx: &WorkflowContext) -> tta::Result<()> {
    Ok(())
}

#[primitive]
async fn maybe(n: u8, _ctx: &WorkflowContext) -> tta::Result<Option<(u8, String)>> {
    Ok((n > 0).then(|| (n, n.to_string())))
}

// Generic and const-generic types.
struct Scale<const N: u32>;

#[primitive]
impl<const N: u32> Scale<N> {
    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
        Ok(input * N)
    }
}

struct Tagged<T> {
    tag: T,
}

#[primitive(name = "tagged")]
impl<T> Tagged<T>
where
    T: std::fmt::Display + Send + Sync + 'static,
{
    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<String> {
        Ok(format!("{}{input}", self.tag))
    }

    fn tag(&self) -> &T {
        &self.tag
    }
}

// `pub(crate)` functions in nested modules.
mod outer {
    pub(crate) mod inner {
        use tta::prelude::*;

        #[primitive]
        pub(crate) async fn step_2(n: u8, _ctx: &WorkflowContext) -> tta::Result<u8> {
            Ok(n + 2)
        }
    }
}

// A boxed closure input, which is not `Clone` either.
type Job = Box<dyn FnOnce() -> u32 + Send>;

#[primitive]
async fn run_job(job: Job, _ctx: &WorkflowContext) -> tta::Result<u32> {
    Ok(job())
}

// A hand-written primitive whose input is not `Clone`, with the operators
// from `impl_operators!`.
struct Consume;

impl Primitive for Consume {
    type Input = Request;
    type Output = usize;

    fn meta(&self) -> &Meta {
        static META: Meta = Meta::from_static("consume", Kind::CUSTOM);
        &META
    }

    async fn execute(&self, input: Request, _ctx: &WorkflowContext) -> tta::Result<usize> {
        let _ = input.reply.send(String::new());
        Ok(input.text.len())
    }
}

tta::impl_operators!(Consume);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (reply, answer_rx) = tokio::sync::oneshot::channel();
    let pipeline = Answer >> Double;
    let length = pipeline.run(Request { reply, text: "hi".to_owned() }).await.unwrap();
    assert_eq!((length, answer_rx.await.unwrap()), (4, "HI".to_owned()));

    let (reply, _rx) = tokio::sync::oneshot::channel();
    assert_eq!((Consume >> Double).run(Request { reply, text: "abc".to_owned() }).await.unwrap(), 6);

    assert_eq!(Query.run("x".to_owned()).await.unwrap(), "q:x");
    assert_eq!(Query.name(), "query");
    assert!(Match.run("a match".to_owned()).await.unwrap());
    assert_eq!(Match.name(), "match");

    assert_eq!(Aliased.run(0).await.unwrap_err().to_string(), "app error");
    assert_eq!(AppAliased.run(1).await.unwrap(), 2);
    assert_eq!(IoResult.run(3).await.unwrap(), 3);
    assert!(ViaAlias.run(1).await.unwrap());
    assert_eq!(UnderscoreCtx.run(4).await.unwrap(), 4);

    let model = Model { model: "m".to_owned() };
    assert_eq!(model.run("p".to_owned()).await.unwrap(), "m:p");
    assert_eq!(model.model, "m", "fields(..) did not move the field");
    assert_eq!(AddPair.run((2, 3)).await.unwrap(), 5);
    assert_eq!(Mutated.run("a".to_owned()).await.unwrap(), "a!");

    assert_eq!(Borrowing.run(1).await.unwrap(), 2);
    assert_eq!(Greet.run("you").await.unwrap(), "hello you");
    Nothing.run(1).await.unwrap();
    assert_eq!(Maybe.run(2).await.unwrap(), Some((2, "2".to_owned())));

    assert_eq!(Scale::<3>.run(2).await.unwrap(), 6);
    let tagged = Tagged { tag: "#" };
    assert_eq!(*tagged.tag(), "#");
    assert_eq!(tagged.run(7).await.unwrap(), "#7");
    assert_eq!(outer::inner::Step2.run(1).await.unwrap(), 3);
    assert_eq!(outer::inner::Step2.name(), "step_2");
    assert_eq!(RunJob.run(Box::new(|| 41)).await.unwrap(), 41);

    // The same primitive composed twice, in sequence and in parallel.
    let twice = Double >> Double;
    assert_eq!(twice.run(1).await.unwrap(), 4);
    assert_eq!((Double | Double).run(2).await.unwrap(), (4, 4));
    assert_eq!((Scale::<2> >> Scale::<5>).run(1).await.unwrap(), 10);

    // A run spawned onto the runtime.
    let shared = Arc::new(Double >> Double);
    let task = tokio::spawn({
        let shared = Arc::clone(&shared);
        async move { shared.run(5).await }
    });
    assert_eq!(task.await.unwrap().unwrap(), 20);
}
