//! Real HTTP servers started inside the tests: one per loopback address,
//! all on one port and serving one hostname, like two CDN edges.
#![allow(dead_code)]

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

pub type Body = BoxBody<Bytes, Infallible>;
pub type Handler = Arc<dyn Fn(&Request<hyper::body::Incoming>) -> Response<Body> + Send + Sync>;

pub fn full(data: impl Into<Bytes>) -> Body {
    Full::new(data.into()).boxed()
}

/// A body sent in several chunks with no Content-Length (chunked on HTTP/1.1).
pub fn chunked(data: impl Into<Bytes>) -> Body {
    let data: Bytes = data.into();
    let parts: Vec<Result<Frame<Bytes>, Infallible>> = data
        .chunks(7)
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    StreamBody::new(futures_util::stream::iter(parts)).boxed()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

/// A tokio runtime that keeps the servers alive for the test.
pub struct Servers {
    pub rt: tokio::runtime::Runtime,
    pub port: u16,
}

/// Start one server per address on one shared free port.
pub fn start(handlers: Vec<(&'static str, Handler)>) -> Servers {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Find a port free on every address (bounded tries).
    for _ in 0..50 {
        let first = std::net::TcpListener::bind((handlers[0].0, 0)).expect("bind first address");
        let port = first.local_addr().expect("local addr").port();
        let mut listeners = vec![first];
        let mut ok = true;
        for (ip, _) in &handlers[1..] {
            match std::net::TcpListener::bind((*ip, port)) {
                Ok(l) => listeners.push(l),
                Err(_) => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        for (listener, (_, handler)) in listeners.into_iter().zip(handlers) {
            listener.set_nonblocking(true).expect("nonblocking");
            let _guard = rt.enter();
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            rt.spawn(accept_loop(listener, handler));
        }
        return Servers { rt, port };
    }
    panic!("no port free on every test address after 50 tries");
}

async fn accept_loop(listener: tokio::net::TcpListener, handler: Handler) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let h = handler.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let resp = h(&req);
                async move { Ok::<_, Infallible>(resp) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

pub fn response(status: u16, headers: &[(&str, &str)], body: Body) -> Response<Body> {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body).expect("valid test response")
}

/// A scratch folder with a config and suites.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

/// Run the real `edgeparity` binary.
pub fn edgeparity(args: &[&str], cwd: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_edgeparity"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PARITY_CONFIG")
        .env_remove("PARITY_ENV")
        .output()
        .expect("run edgeparity")
}

pub fn remote(addr: &SocketAddr) -> String {
    addr.ip().to_string()
}
