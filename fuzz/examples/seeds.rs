//! Writes the committed seed corpora: `cargo run --example seeds` in fuzz/
//! (stable is fine) rewrites fuzz/corpus/<target>/seed-*.

use engine::*;
use wire::{binary, json};
use std::fs;
use std::path::Path;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tungstenite::protocol::frame::Frame;

fn put(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

const REQUESTS: [&str; 8] = [
    r#"{"op":"login","api_key":"1"}"#,
    r#"{"op":"place","req_id":1,"symbol":"BTC-USD","side":"buy","type":"limit","price":"20","qty":"0.5","client_order_id":"c1"}"#,
    r#"{"op":"place","req_id":2,"symbol":"BTC-USD","side":"sell","type":"stop_limit","price":"19.5","stop_price":"19","qty":"1","tif":"ioc"}"#,
    r#"{"op":"cancel","req_id":3,"symbol":"BTC-USD","client_order_id":"c1"}"#,
    r#"{"op":"amend","req_id":4,"symbol":"BTC-USD","order_id":1,"price":"21","qty":"2"}"#,
    r#"{"op":"subscribe","channels":["book:BTC-USD","trades:BTC-USD","ticker:BTC-USD","klines:BTC-USD:1m"]}"#,
    r#"{"op":"balances","req_id":5}"#,
    r#"{"op":"add_symbol","req_id":6,"symbol":"ETH-BTC","base":"ETH","quote":"BTC","tick_size":"0.0001","lot_size":"0.01","min_qty":"0.01","maker_fee_bps":1,"taker_fee_bps":2}"#,
];

fn apply_all(e: &mut Engine, kinds: &[CommandKind]) -> Vec<Command> {
    let mut out = Vec::new();
    let mut cmds = Vec::new();
    for k in kinds {
        let cmd = Command {
            seq: e.last_seq() + 1,
            ts_ns: 1_000 * (e.last_seq() + 1),
            kind: *k,
        };
        e.apply(&cmd, &mut out).unwrap();
        cmds.push(cmd);
    }
    cmds
}

fn main() {
    // json: client requests and journal-dump command lines.
    for (i, r) in REQUESTS.iter().enumerate() {
        put("json", &format!("req{i}"), r.as_bytes());
    }
    for (i, k) in ringex_fuzz::setup().iter().take(4).enumerate() {
        let mut s = String::new();
        json::encode_command_json(
            &Command {
                seq: 1,
                ts_ns: 5,
                kind: *k,
            },
            &mut s,
        );
        put("json", &format!("cmd{i}"), s.as_bytes());
    }

    // binary: each request as a frame, and a login.
    let mut all = Vec::new();
    for (i, r) in REQUESTS.iter().enumerate() {
        if let Ok(req) = json::decode_request(r) {
            let mut b = Vec::new();
            if binary::encode_request(&req, &mut b).is_ok() {
                put("binary", &format!("req{i}"), &b);
                all.extend_from_slice(&b);
            }
        }
    }
    let mut b = Vec::new();
    binary::encode_login("1", true, Some(9), &mut b).unwrap();
    put("binary", "login", &b);
    b.extend_from_slice(&all);
    put("binary", "session", &b);

    // http
    put(
        "http",
        "get",
        b"GET /api/v1/orderbook/BTC-USD?depth=10 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    put(
        "http",
        "post",
        format!(
            "POST /v1/order HTTP/1.1\r\nX-API-Key: 1\r\nContent-Length: {}\r\n\r\n{}",
            REQUESTS[1].len(),
            REQUESTS[1]
        )
        .as_bytes(),
    );
    put(
        "http",
        "upgrade",
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    put(
        "http",
        "pipelined",
        b"GET /healthz HTTP/1.1\r\n\r\nGET /metrics HTTP/1.0\r\nConnection: close\r\n\r\n",
    );

    // websocket: knob byte, then masked client frames.
    let frame = |op: OpCode, data: &[u8], out: &mut Vec<u8>| {
        let mut f = match op {
            OpCode::Control(Control::Ping) => Frame::ping(data.to_vec()),
            OpCode::Control(_) => Frame::close(None),
            _ => Frame::message(data.to_vec(), op, true),
        };
        f.header_mut().mask = Some([1, 2, 3, 4]);
        f.format(out).unwrap();
    };
    let mut s = vec![0x07];
    for r in REQUESTS {
        frame(OpCode::Data(Data::Text), r.as_bytes(), &mut s);
    }
    put("websocket", "session", &s);
    let mut s = vec![0x83];
    frame(OpCode::Data(Data::Text), REQUESTS[0].as_bytes(), &mut s);
    frame(OpCode::Control(Control::Ping), b"hi", &mut s);
    frame(OpCode::Data(Data::Binary), b"\x00\x01", &mut s);
    frame(OpCode::Control(Control::Close), b"\x03\xe8", &mut s);
    put("websocket", "control", &s);

    // engine: a setup, some trading; snapshot seeds from the same engine.
    let mut e = Engine::new(EngineLimits::default());
    let mut kinds = ringex_fuzz::setup();
    let trade: Vec<u8> = vec![
        0, 0, 1, 0, 1, 3, 3, 3, 3, 3, 0, 0, 0, // buy limit
        1, 0, 2, 0, 0, 3, 3, 3, 3, 3, 0, 0, 0, // sell limit, crosses
        5, 5, 1, 0, 1, 3, 4, 3, 3, 3, 3, 0, 0, 0, // stop limit
        8, 1, 0, 1, 5, // cancel
        11, 2, 0, 1, 2, 1, 3, 5, 0, // amend
        13, 1, 0, // cancel all
        15, 1, 1, 3, 50, 0, // deposit
    ];
    kinds.extend(ringex_fuzz::commands(
        &mut ringex_fuzz::Bytes::new(&trade),
        100,
    ));
    let cmds = apply_all(&mut e, &kinds);
    let mut s = vec![128];
    s.extend_from_slice(&trade);
    put("engine", "trade", &s);
    put(
        "engine",
        "mixed",
        &[
            37, 1, 9, 200, 14, 3, 7, 0, 0, 255, 18, 2, 0, 1, 3, 3, 3, 3, 4, 4, 0, 0, 17, 3, 4, 19,
            5,
        ],
    );

    let mut s = vec![0];
    s.extend_from_slice(&e.snapshot_bytes());
    put("snapshot", "payload", &s);
    let t = tempfile::tempdir().unwrap();
    let p = journal::snapshot::write(
        t.path(),
        e.last_seq(),
        &e.state_hash(),
        &e.snapshot_bytes(),
        3,
    )
    .unwrap();
    let mut s = vec![1 | ((e.last_seq() as u8) << 1)];
    s.extend_from_slice(&fs::read(p).unwrap());
    put("snapshot", "file", &s);

    // journal: a valid segment holding the commands above, and a torn one.
    let t = tempfile::tempdir().unwrap();
    let mut cfg = journal::JournalConfig::new(t.path());
    cfg.segment_bytes = 4096;
    cfg.prefault = false;
    let (mut w, _) = journal::Journal::open(cfg).unwrap();
    for c in cmds.iter().take(30) {
        w.append(c).unwrap();
    }
    w.close().unwrap();
    let segs: Vec<_> = fs::read_dir(journal::journal_dir(t.path()))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    let first = segs.iter().min().unwrap();
    let seg = fs::read(&first).unwrap();
    let mut s = vec![3];
    s.extend_from_slice(&seg);
    put("journal", "segment", &s);
    let end = seg.iter().rposition(|&b| b != 0).unwrap();
    let mut torn = s.clone();
    torn[end - 10] ^= 0x55;
    put("journal", "torn", &torn);
    let mut short = vec![2];
    short.extend_from_slice(&seg[..end - 20]);
    put("journal", "short", &short);
}
