//! HTTP/1.1 request heads and responses as plain functions (no sockets).
//!
//! Bounded: a head larger than `head_max` bytes or with more than 32 headers
//! is refused, a body larger than `body_max` too. `parse` answers "need more
//! bytes" instead of blocking, so the event loop and tests drive it alike.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub api_key: Option<String>,
    pub upgrade_websocket: bool,
    pub ws_key: Option<String>,
    pub keep_alive: bool,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not HTTP, or malformed.
    Bad(String),
    /// Head or body over the bound.
    TooLarge,
}

/// Parses one request from the start of `buf`: `Ok(None)` when more bytes are
/// needed, else the request and how many bytes it used.
pub fn parse(
    buf: &[u8],
    head_max: usize,
    body_max: usize,
) -> Result<Option<(Request, usize)>, ParseError> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return if buf.len() > head_max {
                Err(ParseError::TooLarge)
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(ParseError::TooLarge),
        Err(e) => return Err(ParseError::Bad(e.to_string())),
    };
    if head_len > head_max {
        return Err(ParseError::TooLarge);
    }
    let (mut content_len, mut api_key, mut upgrade, mut ws_key, mut close) =
        (0usize, None, false, None, false);
    for h in req.headers.iter() {
        let v = std::str::from_utf8(h.value).unwrap_or("").trim();
        match h.name.to_ascii_lowercase().as_str() {
            "content-length" => {
                content_len = v
                    .parse()
                    .map_err(|_| ParseError::Bad("bad content-length".into()))?;
            }
            "transfer-encoding" => {
                return Err(ParseError::Bad("chunked bodies are not supported".into()))
            }
            "x-api-key" => api_key = Some(v.to_string()),
            "upgrade" => upgrade = v.eq_ignore_ascii_case("websocket"),
            "sec-websocket-key" => ws_key = Some(v.to_string()),
            "connection" => close = v.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    if content_len > body_max {
        return Err(ParseError::TooLarge);
    }
    if buf.len() < head_len + content_len {
        return Ok(None);
    }
    let target = req.path.unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let keep_alive = req.version == Some(1) && !close;
    Ok(Some((
        Request {
            method: req.method.unwrap_or("").to_string(),
            path: path.to_string(),
            query: query.to_string(),
            api_key,
            upgrade_websocket: upgrade,
            ws_key,
            keep_alive,
            body: buf[head_len..head_len + content_len].to_vec(),
        },
        head_len + content_len,
    )))
}

/// The value of `name` in a query string (`a=1&b=2`).
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A complete response with a body of `content_type`.
pub fn response(status: u16, content_type: &str, body: &str, keep_alive: bool, out: &mut Vec<u8>) {
    use std::io::Write;
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{body}",
        reason_phrase(status),
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
}

/// The 101 answer that turns the connection into a WebSocket.
pub fn websocket_accept(ws_key: &str, out: &mut Vec<u8>) {
    use std::io::Write;
    let accept = tungstenite::handshake::derive_accept_key(ws_key.as_bytes());
    let _ = write!(
        out,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_in_pieces_and_bounds_sizes() {
        let req = b"POST /v1/order?x=1 HTTP/1.1\r\nHost: a\r\nX-API-Key: k-1\r\nContent-Length: 4\r\n\r\nabcdEXTRA";
        for cut in 0..req.len() - 9 {
            assert_eq!(parse(&req[..cut], 1024, 1024), Ok(None), "cut {cut}");
        }
        let (r, n) = parse(req, 1024, 1024).unwrap().unwrap();
        assert_eq!(n, req.len() - 5);
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.query.as_str()),
            ("POST", "/v1/order", "x=1")
        );
        assert_eq!(r.api_key.as_deref(), Some("k-1"));
        assert_eq!(r.body, b"abcd");
        assert_eq!(parse(req, 1024, 3), Err(ParseError::TooLarge));
        assert_eq!(parse(&[b'G'; 2000], 1024, 1024), Err(ParseError::TooLarge));
        assert!(matches!(
            parse(b"\x16\x03\x01garbage\r\n\r\n", 1024, 1024),
            Err(ParseError::Bad(_))
        ));
        assert_eq!(query_param("depth=5&limit=2", "limit"), Some("2"));
    }
}
