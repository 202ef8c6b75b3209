//! Truly simultaneous requests: every connection is opened and every request written but its
//! last byte, then all the last bytes are released together, so the server starts handling
//! them at the same instant (as an attacker's or a racing client's would arrive).

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

/// One raw HTTP/1.1 request.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// A JSON API call with a bearer token.
    pub fn api(
        method: &'static str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Self {
        let mut headers = vec![("authorization".to_owned(), format!("Bearer {token}"))];
        let body = match body {
            Some(b) => {
                headers.push(("content-type".to_owned(), "application/json".to_owned()));
                serde_json::to_vec(&b).unwrap()
            }
            None => Vec::new(),
        };
        Self {
            method,
            path: path.to_owned(),
            headers,
            body,
        }
    }

    /// A form post with cookies.
    pub fn form(path: &str, cookie: &str, fields: &[(&str, &str)]) -> Self {
        let body = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::helpers::urlencode(k),
                    crate::helpers::urlencode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        Self {
            method: "POST",
            path: path.to_owned(),
            headers: vec![
                ("cookie".to_owned(), cookie.to_owned()),
                (
                    "content-type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                ),
            ],
            body: body.into_bytes(),
        }
    }

    fn bytes(&self, host: &str) -> Vec<u8> {
        let mut out = format!(
            "{} {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n",
            self.method, self.path
        );
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("content-length: {}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Sends every request at once (see the module doc); returns each response's status code
/// and body, in the order given.
pub async fn burst(base: &str, requests: Vec<RawRequest>) -> Vec<(u16, String)> {
    let host = base.trim_start_matches("http://").to_owned();
    let barrier = Arc::new(Barrier::new(requests.len()));
    let mut tasks = Vec::new();
    for req in requests {
        let bytes = req.bytes(&host);
        let mut stream = TcpStream::connect(&host).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (head, last) = bytes.split_at(bytes.len() - 1);
        stream.write_all(head).await.unwrap();
        stream.flush().await.unwrap();
        let last = last.to_vec();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            stream.write_all(&last).await.unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.unwrap();
            let text = String::from_utf8_lossy(&response).into_owned();
            let status = text
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let body = text
                .split_once("\r\n\r\n")
                .map(|(_, b)| b.to_owned())
                .unwrap_or_default();
            (status, body)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
