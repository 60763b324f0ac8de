//! The HTTP/1.1 request parser as the event loop drives it: requests taken
//! one after another off the front of the buffer (pipelining), bounds
//! respected, never a panic.
#![no_main]
use gateway::http;
use libfuzzer_sys::fuzz_target;

const HEAD_MAX: usize = 8192;
const BODY_MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((req, used))) = http::parse(rest, HEAD_MAX, BODY_MAX) {
        assert!(used > 0 && used <= rest.len());
        assert!(req.body.len() <= BODY_MAX);
        let _ = http::query_param(&req.query, "depth");
        if let Some(k) = &req.ws_key {
            let mut out = Vec::new();
            http::websocket_accept(k, &mut out);
        }
        rest = &rest[used..];
    }
    // Fed a byte at a time, the parser must agree with the one-shot parse.
    let whole = http::parse(data, HEAD_MAX, BODY_MAX);
    if let Ok(Some((_, used))) = &whole {
        for cut in [used / 2, used.saturating_sub(1)] {
            if cut < *used {
                match http::parse(&data[..cut], HEAD_MAX, BODY_MAX) {
                    Ok(None) | Err(_) => {}
                    Ok(Some((_, n))) => assert!(n <= cut),
                }
            }
        }
    }
});
