//! A small blocking HTTPS/1.1 client for tests of the server itself: it verifies the server's
//! certificate against the generated CA, sends the bearer token, decodes chunked bodies, and
//! reads watch streams event by event.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

/// A client for one server.
pub struct Client {
    addr: SocketAddr,
    config: Option<Arc<rustls::ClientConfig>>,
    token: Option<String>,
}

/// A whole response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// An answer's reader after its head, its status and its headers.
type Head = (BufReader<Tls>, u16, Vec<(String, String)>);

/// An open watch: [`Watch::next_event`] returns each JSON line, `None` when the server ends it.
pub struct Watch {
    reader: BufReader<Tls>,
    pending: Vec<u8>,
    chunk_left: usize,
    done: bool,
    pub status: u16,
}

/// Reads an answer's status line and headers (names in lower case).
fn read_head(reader: &mut BufReader<Tls>) -> io::Result<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
    }
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl Client {
    /// A client that trusts the CA `ca_der` and sends `token` (if any).
    pub fn new(addr: SocketAddr, ca_der: &[u8], token: Option<String>) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        let config = roots.add(CertificateDer::from(ca_der.to_vec())).ok().and_then(|()| {
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .ok()
                .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
        });
        Client { addr, config, token }
    }

    /// A client that trusts the CA in `ca_pem` (a PEM certificate, as the binary writes to
    /// `DIR/ca.crt`).
    pub fn from_pem(addr: SocketAddr, ca_pem: &str, token: Option<String>) -> io::Result<Self> {
        use rustls::pki_types::pem::PemObject;
        let der = CertificateDer::from_pem_slice(ca_pem.as_bytes()).map_err(other)?;
        Ok(Client::new(addr, &der, token))
    }

    /// The same client with another token (`None`: no `Authorization` header).
    pub fn with_token(&self, token: Option<&str>) -> Self {
        Client { addr: self.addr, config: self.config.clone(), token: token.map(str::to_string) }
    }

    /// A TLS connection to the server that trusts the CA.
    fn connect(&self) -> io::Result<Tls> {
        let config = self.config.clone().ok_or_else(|| other("the CA certificate was not accepted"))?;
        let tcp = TcpStream::connect(self.addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
        let name = ServerName::try_from("127.0.0.1").map_err(other)?;
        let conn = rustls::ClientConnection::new(config, name).map_err(other)?;
        Ok(rustls::StreamOwned::new(conn, tcp))
    }

    fn send(&self, path: &str, accept: &str) -> io::Result<Head> {
        let mut tls = self.connect()?;
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\nUser-Agent: leaselint-test-client\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(token) = &self.token {
            request.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        request.push_str("\r\n");
        tls.write_all(request.as_bytes())?;
        tls.flush()?;
        let mut reader = BufReader::new(tls);
        let (status, headers) = read_head(&mut reader)?;
        Ok((reader, status, headers))
    }

    /// `GET path` (with its query) and the whole answer.
    pub fn get(&self, path: &str) -> io::Result<Reply> {
        self.get_with_accept(path, "application/json")
    }

    /// `GET path` with an `Accept` header.
    pub fn get_with_accept(&self, path: &str, accept: &str) -> io::Result<Reply> {
        let (mut reader, status, headers) = self.send(path, accept)?;
        let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        let mut body = Vec::new();
        if chunked {
            let mut watch = Watch { reader, pending: Vec::new(), chunk_left: 0, done: false, status };
            while let Some(chunk) = watch.read_chunk()? {
                body.extend(chunk);
            }
        } else if let Some(len) =
            headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse::<usize>().ok())
        {
            body.resize(len, 0);
            reader.read_exact(&mut body)?;
        } else {
            reader.read_to_end(&mut body)?;
        }
        Ok(Reply { status, headers, body })
    }

    /// Starts a watch (`path` with `watch=1` in its query).
    pub fn watch(&self, path: &str) -> io::Result<Watch> {
        let (reader, status, _) = self.send(path, "application/json")?;
        Ok(Watch { reader, pending: Vec::new(), chunk_left: 0, done: false, status })
    }
}

impl Watch {
    fn read_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        if self.chunk_left == 0 {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                self.done = true;
                return Ok(None);
            }
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(other)?;
            if size == 0 {
                self.done = true;
                return Ok(None);
            }
            self.chunk_left = size;
        }
        let mut buf = vec![0; self.chunk_left];
        self.reader.read_exact(&mut buf)?;
        self.chunk_left = 0;
        let mut crlf = [0u8; 2];
        self.reader.read_exact(&mut crlf)?;
        Ok(Some(buf))
    }

    /// The next event (one JSON line), or `None` once the server ended the stream.
    pub fn next_event(&mut self) -> io::Result<Option<Value>> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return serde_json::from_slice(&line).map(Some).map_err(other);
            }
            match self.read_chunk()? {
                Some(chunk) => self.pending.extend(chunk),
                None => return Ok(None),
            }
        }
    }
}

/// One kept-alive HTTPS/1.1 connection (as the API server calls webhooks): requests one after
/// the other on the same TLS connection, answers read by their `Content-Length`.
pub struct Session {
    reader: BufReader<Tls>,
    host: String,
}

impl Client {
    /// Opens a kept-alive connection.
    pub fn session(&self) -> io::Result<Session> {
        let mut tls = self.connect()?;
        // Complete the handshake now, so that a refused certificate fails here.
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        Ok(Session { reader: BufReader::new(tls), host: self.addr.to_string() })
    }
}

impl Session {
    /// Sends the head of a `POST` and the first `sent` bytes of `body` (a request still in
    /// flight: [`Session::finish`] sends the rest and reads the answer).
    pub fn start_post(&mut self, path: &str, body: &[u8], sent: usize) -> io::Result<()> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\n\
             Content-Length: {}\r\nUser-Agent: leaselint-test-client\r\n\r\n",
            self.host,
            body.len()
        );
        let tls = self.reader.get_mut();
        tls.write_all(head.as_bytes())?;
        tls.write_all(&body[..sent.min(body.len())])?;
        tls.flush()
    }

    /// Sends the rest of a body begun with [`Session::start_post`] and reads the answer.
    pub fn finish(&mut self, body: &[u8], sent: usize) -> io::Result<Reply> {
        let tls = self.reader.get_mut();
        tls.write_all(&body[sent.min(body.len())..])?;
        tls.flush()?;
        self.read_reply()
    }

    /// `POST path` with a JSON body, on this connection.
    pub fn post(&mut self, path: &str, body: &[u8]) -> io::Result<Reply> {
        self.start_post(path, body, body.len())?;
        self.read_reply()
    }

    fn read_reply(&mut self) -> io::Result<Reply> {
        let (status, headers) = read_head(&mut self.reader)?;
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .ok_or_else(|| other("an answer without Content-Length"))?;
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body)?;
        Ok(Reply { status, headers, body })
    }
}
