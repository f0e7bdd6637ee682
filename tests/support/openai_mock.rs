//! An OpenAI-compatible chat-completions server on 127.0.0.1, scripted per
//! request: answers with usage, scripted latency, 429s, 5xx, hangs,
//! garbage and truncated bodies. It speaks HTTP/1.1 over a real socket,
//! so the client under test goes through its whole stack; it is written on
//! plain sockets because a well-behaved HTTP library cannot send a body
//! shorter than its `content-length`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a completion: this text, reporting this `usage` object,
    /// after `delay`.
    Answer {
        content: String,
        usage: Value,
        delay: Duration,
    },
    /// This status, body and extra headers.
    Status {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// Reads the request and never answers (until the connection closes).
    Hang,
    /// 200 with this body, whatever it is.
    Body(String),
    /// 200 announcing `length` bytes and sending only `sent` of them.
    Truncated { length: usize, sent: String },
    /// 200 with a `text/event-stream` body, sent step by step in HTTP
    /// chunks.
    Stream(Vec<Sse>),
}

/// One step of a streamed answer.
#[derive(Debug, Clone)]
pub enum Sse {
    /// An event: `data: {this}` and a blank line.
    Data(String),
    /// These bytes as they are, whatever they are.
    Raw(String),
    /// A pause.
    Wait(Duration),
    /// Sends nothing more and waits until the client closes the connection.
    Stall,
    /// Closes the connection in the middle of the body.
    Disconnect,
}

/// The events of an OpenAI streamed answer of `words`: a role-only delta,
/// one delta per word, a finish reason, then the usage chunk if `usage`
/// is given, and `[DONE]`.
pub fn sse_answer(words: &[&str], usage: Option<Value>) -> Vec<Sse> {
    let chunk = |delta: Value, finish: Value| {
        Sse::Data(
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "model": "gpt-4o-mini-2024-07-18",
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            .to_string(),
        )
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    events.extend(
        words
            .iter()
            .map(|word| chunk(json!({"content": word}), Value::Null)),
    );
    events.push(chunk(json!({}), json!("stop")));
    if let Some(usage) = usage {
        events.push(Sse::Data(
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "model": "gpt-4o-mini-2024-07-18", "choices": [], "usage": usage})
                .to_string(),
        ));
    }
    events.push(Sse::Data("[DONE]".to_owned()));
    events
}

/// OpenAI's `usage` object.
pub fn usage(prompt: u64, cached: u64, completion: u64) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": 0}
    })
}

impl Reply {
    /// A plain answer with OpenAI-shaped usage.
    pub fn answer(content: &str, prompt: u64, cached: u64, completion: u64) -> Self {
        Reply::Answer {
            content: content.to_owned(),
            usage: usage(prompt, cached, completion),
            delay: Duration::ZERO,
        }
    }

    /// An error status with an OpenAI-shaped error body.
    pub fn error(status: u16, message: &str) -> Self {
        Reply::Status {
            status,
            body: json!({"error": {"message": message, "type": "error"}}).to_string(),
            headers: Vec::new(),
        }
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    received: Vec<Received>,
    /// Streams the client closed before their end.
    closed_by_client: usize,
}

/// The server. Requests beyond the script get [`Reply::answer`] with fixed usage.
pub struct MockProvider {
    address: SocketAddr,
    script: Arc<Mutex<Script>>,
    tls: bool,
}

impl MockProvider {
    /// Listens on a free loopback port; each connection gets a thread.
    pub fn start() -> Self {
        Self::listen(None)
    }

    /// The same over HTTPS, with this certificate chain and key (PEM), for
    /// the host name `localhost`.
    pub fn start_tls(certificate_pem: &str, key_pem: &str) -> Self {
        Self::listen(Some(crate::tls::server_config(certificate_pem, key_pem)))
    }

    fn listen(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let address = listener.local_addr().expect("a bound address");
        let script = Arc::new(Mutex::new(Script::default()));
        let shared = Arc::clone(&script);
        let secure = tls.is_some();
        crate::tls::serve_each(listener, tls, Duration::from_secs(30), move |connection| {
            serve(connection, &shared);
        });
        Self {
            address,
            script,
            tls: secure,
        }
    }

    /// The base URL a client is configured with: `http://127.0.0.1:PORT/v1`,
    /// or `https://localhost:PORT/v1` over TLS.
    pub fn base_url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}/v1", self.address.port())
        } else {
            format!("http://{}/v1", self.address)
        }
    }

    /// Queues replies for the next requests, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.lock().replies.extend(replies);
    }

    /// How many streamed answers the client closed before their end.
    pub fn streams_closed_by_client(&self) -> usize {
        self.lock().closed_by_client
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn serve(stream: impl Read + Write, script: &Mutex<Script>) {
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let reply = {
            let mut script = script.lock().unwrap_or_else(PoisonError::into_inner);
            script.received.push(request.clone());
            script
                .replies
                .pop_front()
                .unwrap_or_else(|| Reply::answer("default answer", 10, 0, 5))
        };
        let model = request.body["model"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned();
        let response = match reply {
            Reply::Answer {
                content,
                usage,
                delay,
            } => {
                std::thread::sleep(delay);
                let body = json!({
                    "id": "chatcmpl-mock",
                    "object": "chat.completion",
                    "model": format!("{model}-2024-07-18"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                    "usage": usage,
                });
                http(200, &[], &body.to_string())
            }
            Reply::Status {
                status,
                body,
                headers,
            } => http(status, &headers, &body),
            Reply::Body(body) => http(200, &[], &body),
            Reply::Truncated { length, sent } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
                );
                let writer = reader.get_mut();
                let _ = writer.write_all(head.as_bytes());
                let _ = writer.write_all(sent.as_bytes());
                let _ = writer.flush();
                return; // closes the connection mid-body
            }
            Reply::Stream(steps) => match send_stream(reader.get_mut(), &steps) {
                Streamed::Whole => continue,
                Streamed::Stalled => {
                    let mut sink = [0; 1];
                    if let Ok(0) = reader.read(&mut sink) {
                        let mut script = script.lock().unwrap_or_else(PoisonError::into_inner);
                        script.closed_by_client += 1;
                    }
                    return;
                }
                Streamed::Cut => return,
            },
            Reply::Hang => {
                // Hold the connection until the client gives up and closes
                // it, or the 30-second read timeout passes.
                let mut sink = [0; 1];
                let _ = reader.read(&mut sink);
                return;
            }
        };
        let writer = reader.get_mut();
        if writer.write_all(response.as_bytes()).is_err() || writer.flush().is_err() {
            return;
        }
    }
}

/// How far a streamed answer went.
enum Streamed {
    Whole,
    /// Stopped sending; the connection is watched until the client closes it.
    Stalled,
    /// Cut off, or the client went away: the connection is closed.
    Cut,
}

fn send_stream(writer: &mut impl Write, steps: &[Sse]) -> Streamed {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
    if writer.write_all(head.as_bytes()).is_err() {
        return Streamed::Cut;
    }
    let mut send = |bytes: &str| {
        let framed = format!("{:x}\r\n{bytes}\r\n", bytes.len());
        writer.write_all(framed.as_bytes()).is_ok() && writer.flush().is_ok()
    };
    for step in steps {
        let sent = match step {
            Sse::Data(data) => send(&format!("data: {data}\n\n")),
            Sse::Raw(bytes) => send(bytes),
            Sse::Wait(pause) => {
                std::thread::sleep(*pause);
                true
            }
            Sse::Stall => return Streamed::Stalled,
            Sse::Disconnect => return Streamed::Cut,
        };
        if !sent {
            return Streamed::Cut;
        }
    }
    if send("") {
        Streamed::Whole
    } else {
        Streamed::Cut
    }
}

fn http(status: u16, headers: &[(String, String)], body: &str) -> String {
    let mut response = format!(
        "HTTP/1.1 {status} Mock\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(body);
    response
}

fn read_request(reader: &mut BufReader<impl Read>) -> Option<Received> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|read| *read > 0)?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).ok().filter(|read| *read > 0)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}
