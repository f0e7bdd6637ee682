//! Debian's `redis-server`, started by the tests themselves on a free
//! loopback port with no persistence, and stopped when dropped.

use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::free_port;
use crate::tools;

/// A running `redis-server`.
pub struct RedisServer {
    binary: std::path::PathBuf,
    address: SocketAddr,
    password: Option<String>,
    process: Option<Child>,
}

impl RedisServer {
    /// Starts one, or returns `None` where `redis-server` is missing and
    /// `CI` is not set (under `CI` a missing server fails the test).
    pub fn start() -> Option<Self> {
        Self::start_with_password(None)
    }

    /// Starts one that requires `password`.
    pub fn start_with_password(password: Option<&str>) -> Option<Self> {
        let binary = tools::find("redis-server", "redis-server")?;
        let mut server = Self {
            binary,
            address: free_port(),
            password: password.map(str::to_owned),
            process: None,
        };
        server.spawn();
        Some(server)
    }

    /// `redis://127.0.0.1:<port>/`, with the password if there is one.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@{}/", self.address),
            None => format!("redis://{}/", self.address),
        }
    }

    /// The same server with another password, for a wrong-password test.
    pub fn url_with_password(&self, password: &str) -> String {
        format!("redis://:{password}@{}/", self.address)
    }

    /// Kills the server at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn spawn(&mut self) {
        let mut command = Command::new(&self.binary);
        command
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.address.port().to_string())
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        self.process = Some(command.spawn().unwrap());
        // Bounded: a server that does not listen within 10 s fails the test.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on {}",
                self.address
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
