//! The trading page served at `GET /`: files built from `gateway/web`
//! (see `docs/web.md`) and embedded in the binary, so the server fetches
//! nothing at run time and `cargo build` needs no npm.

const INDEX: &[u8] = include_bytes!("../web/dist/index.html");
const APP_JS: &[u8] = include_bytes!("../web/dist/app.js");
const APP_CSS: &[u8] = include_bytes!("../web/dist/app.css");
const CHARTS_LICENSE: &[u8] = include_bytes!("../web/dist/LICENSE-lightweight-charts.txt");

/// The embedded file at `path` and its content type, `None` when there is none.
pub fn asset(path: &str) -> Option<(&'static str, &'static [u8])> {
    Some(match path {
        "/" | "/index.html" => ("text/html; charset=utf-8", INDEX),
        "/web/app.js" => ("text/javascript; charset=utf-8", APP_JS),
        "/web/app.css" => ("text/css; charset=utf-8", APP_CSS),
        "/web/LICENSE-lightweight-charts.txt" => ("text/plain; charset=utf-8", CHARTS_LICENSE),
        _ => return None,
    })
}

/// A complete 200 response carrying an embedded file.
pub fn response(content_type: &str, body: &[u8], keep_alive: bool, out: &mut Vec<u8>) {
    use std::io::Write;
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: {}\r\n\r\n",
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_the_page_and_its_files() {
        let (ctype, page) = asset("/").expect("GET / is the page");
        assert!(ctype.starts_with("text/html"));
        let page = std::str::from_utf8(page).unwrap();
        for linked in ["/web/app.js", "/web/app.css"] {
            assert!(page.contains(linked), "the page links {linked}");
            assert!(!asset(linked).unwrap().1.is_empty(), "{linked} is embedded");
        }
        assert!(
            std::str::from_utf8(asset("/web/LICENSE-lightweight-charts.txt").unwrap().1)
                .unwrap()
                .contains("Apache License")
        );
        assert_eq!(asset("/web/nope.js"), None);
        let mut out = Vec::new();
        response(ctype, b"<p>", false, &mut out);
        assert!(out.ends_with(b"Content-Length: 3\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n<p>"));
    }
}
