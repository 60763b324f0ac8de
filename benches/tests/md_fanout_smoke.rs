//! md-fanout in its tiniest form against the real server: subscribers see
//! book deltas with no gap. Skipped, with a notice, when the `ringex` binary
//! is not built next to the test (the benchmark needs it).

use benches::md_fanout::{run, Options};
use benches::wire_latency::find_server;

#[test]
fn subscribers_receive_gapless_book_deltas() {
    let Some(server) = find_server() else {
        eprintln!("md_fanout_smoke: no ringex binary next to the tests; skipped (cargo build --release -p gateway)");
        return;
    };
    let o = Options {
        server: Some(server),
        subscribers: vec![2],
        secs: 0.3,
    };
    let lines = run(&o).expect("md-fanout run");
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l["gaps"], 0, "{l}");
    assert_eq!(l["subscribers_closed"], 0, "{l}");
    assert!(l["book_msgs_delivered"].as_u64().unwrap() > 0, "{l}");
    assert!(l["trade_latency_p50_ns"].as_u64().unwrap() > 0, "{l}");
}
