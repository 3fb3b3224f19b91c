//! A minimal HTTP/1.1 `POST` for the delivery channels (push services, SMS providers): one
//! request per connection, TLS through rustls with the ring provider and the webpki roots. The
//! channels only need the status code, so this avoids pulling a full HTTP client into the tree.

use axum::http::Uri;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the remote end answered.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// The start of the body (at most 4 KiB), for the log.
    pub body: String,
}

/// Why a request got no answer (connection, TLS, timeout, a malformed reply).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

fn err(e: impl std::fmt::Display) -> HttpError {
    HttpError(e.to_string())
}

static TLS: LazyLock<Arc<rustls::ClientConfig>> = LazyLock::new(|| {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|_| {
            // The ring provider supports the default versions; this branch cannot be taken.
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3 with ring")
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
        });
    Arc::new(config)
});

/// `POST url` with `headers` and `body`, within `timeout` for the whole exchange.
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<Reply, HttpError> {
    tokio::time::timeout(timeout, post_inner(url, headers, body))
        .await
        .map_err(|_| HttpError(format!("no answer within {timeout:?}")))?
}

async fn post_inner(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<Reply, HttpError> {
    let uri: Uri = url.parse().map_err(err)?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(HttpError(format!("not an http(s) URL: {url}"))),
    };
    let host = uri
        .host()
        .ok_or_else(|| HttpError("URL without host".into()))?;
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let host_header = match uri.port_u16() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\nContent-Length: {}\r\nUser-Agent: moim\r\n",
        body.len()
    );
    for (k, v) in headers {
        if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            return Err(HttpError(format!("bad header {k}")));
        }
        req.push_str(k);
        req.push_str(": ");
        req.push_str(v);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(err)?;
    if https {
        let name =
            rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                .map_err(err)?;
        let tls = tokio_rustls::TlsConnector::from(TLS.clone())
            .connect(name, tcp)
            .await
            .map_err(err)?;
        exchange(tls, req.as_bytes(), body).await
    } else {
        exchange(tcp, req.as_bytes(), body).await
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    head: &[u8],
    body: &[u8],
) -> Result<Reply, HttpError> {
    s.write_all(head).await.map_err(err)?;
    s.write_all(body).await.map_err(err)?;
    s.flush().await.map_err(err)?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    // Read until the end of the headers and a little of the body (the connection closes after).
    loop {
        let n = s.read(&mut chunk).await.map_err(err)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 8192 {
            break;
        }
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if len.is_some_and(|l| buf.len() >= end + 4 + l.min(4096)) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let status = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| HttpError("no HTTP status line in the answer".into()))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.chars().take(4096).collect())
        .unwrap_or_default();
    Ok(Reply { status, body })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
