//! Logs in on the binary TCP port, places one limit order and prints every
//! reply that arrives for a few seconds.
//!
//! ```text
//! cargo run -p gateway --example binary_client -- --addr 127.0.0.1:9000 --key KEY \
//!     --symbol BTC-USD --side buy --price 100.5 --qty 0.01 [--secs 2] [--client-order-id ID]
//! ```
//!
//! The byte layout is in `docs/protocol.md`; the client is `wire::client`.

use engine::{ClOrdId, Fixed, Name, Side};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wire::binary::{Execution, Reply, ReplyBody, Target};
use wire::client::{limit_order, Client};
use wire::json::parse_decimal;

const USAGE: &str = "usage: binary_client --addr HOST:PORT --key API_KEY --symbol SYM \
--side buy|sell --price DECIMAL --qty DECIMAL [--secs N] [--client-order-id ID]";

struct Args {
    addr: String,
    key: String,
    symbol: Name,
    side: Side,
    price: Fixed,
    qty: Fixed,
    secs: u64,
    client_order_id: Option<ClOrdId>,
}

fn parse_args() -> Result<Args, String> {
    let mut addr = "127.0.0.1:9000".to_string();
    let (mut key, mut symbol, mut side, mut price, mut qty) = (None, None, None, None, None);
    let mut secs = 2;
    let mut client_order_id = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag}: {what}: {value:?}");
        match flag.as_str() {
            "--addr" => addr = value,
            "--key" => key = Some(value),
            "--symbol" => symbol = Some(Name::new(&value).ok_or_else(|| bad("not a symbol"))?),
            "--side" => {
                side = Some(match value.as_str() {
                    "buy" => Side::Buy,
                    "sell" => Side::Sell,
                    _ => return Err(bad("expected buy or sell")),
                })
            }
            "--price" => price = Some(parse_decimal(&value).map_err(bad)?),
            "--qty" => qty = Some(parse_decimal(&value).map_err(bad)?),
            "--secs" => secs = value.parse().map_err(|_| bad("expected seconds"))?,
            "--client-order-id" => {
                client_order_id =
                    Some(ClOrdId::new(&value).ok_or_else(|| bad("not a client order id"))?)
            }
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    let need = |name: &str| format!("missing {name}\n{USAGE}");
    Ok(Args {
        addr,
        key: key.ok_or_else(|| need("--key"))?,
        symbol: symbol.ok_or_else(|| need("--symbol"))?,
        side: side.ok_or_else(|| need("--side"))?,
        price: price.ok_or_else(|| need("--price"))?,
        qty: qty.ok_or_else(|| need("--qty"))?,
        secs,
        client_order_id,
    })
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or("-".into(), |v| v.to_string())
}

fn show_exec(e: &Execution) -> String {
    let mut s = format!(
        "execution {} {} order {} ({}) {} {} {} {} price {} qty {} filled {} remaining {} avg {}",
        e.exec_type.as_str(),
        e.status.as_str(),
        e.order_id,
        opt(&e.client_order_id),
        opt(&e.symbol),
        e.side.as_str(),
        e.order_type.as_str(),
        e.tif.as_str(),
        opt(&e.price),
        opt(&e.qty),
        opt(&e.filled_qty),
        opt(&e.remaining_qty),
        opt(&e.avg_price),
    );
    if let Some(r) = e.reason {
        s += &format!(" reason {}", r.as_str());
    }
    if let Some(t) = &e.trade {
        s += &format!(
            " | trade {} {} @ {} fee {} {} {}",
            t.trade_id,
            opt(&t.last_qty),
            opt(&t.last_price),
            t.fee,
            opt(&t.fee_asset),
            t.liquidity.as_str()
        );
    }
    s + &format!(" seq {} ts {}", e.seq, e.ts_ns)
}

fn show(r: &Reply) -> String {
    let body = match &r.body {
        ReplyBody::Login { user, role } => format!("login user {user} role {}", role.as_str()),
        ReplyBody::Execution(e) => show_exec(e),
        ReplyBody::Reject {
            op,
            target,
            reason,
            seq,
            ..
        } => {
            let target = match target {
                Some(Target::OrderId(id)) => format!("order {id}"),
                Some(Target::ClientOrderId(c)) => format!("client order {c}"),
                None => "-".into(),
            };
            format!(
                "reject {} {target} reason {} seq {seq}",
                op.as_str(),
                reason.as_str()
            )
        }
        ReplyBody::CancelAll { canceled, seq, .. } => {
            format!("cancel_all canceled {canceled} seq {seq}")
        }
        ReplyBody::Admin { op, ok, reason, .. } => format!(
            "admin {} ok {ok} reason {}",
            op.as_str(),
            reason.map_or("-", |r| r.as_str())
        ),
        ReplyBody::Snapshot { seq, .. } => format!("snapshot seq {seq}"),
        ReplyBody::Balances { balances, more, .. } => {
            let list: Vec<String> = balances
                .iter()
                .map(|b| format!("{} {}/{}", b.asset, b.available, b.locked))
                .collect();
            format!("balances {} (more: {more})", list.join(", "))
        }
        ReplyBody::History { part, more } => {
            format!("history ({} bytes, more: {more})", part.len())
        }
        ReplyBody::OpenOrders { orders, more, .. } => {
            format!("open_orders {} (more: {more})", orders.len())
        }
        ReplyBody::Fees { fees, more } => format!("fees {} (more: {more})", fees.len()),
        ReplyBody::Error {
            code,
            message,
            primary,
        } => match primary {
            Some(p) => format!("error {}: {message} (primary {p})", code.as_str()),
            None => format!("error {}: {message}", code.as_str()),
        },
    };
    match r.req_id {
        Some(id) => format!("[req {id}] {body}"),
        None => format!("[push] {body}"),
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut client = Client::connect(&args.addr)?;
    let (user, role) = client.login(&args.key, true)?;
    println!(
        "connected to {} as user {user} ({})",
        args.addr,
        role.as_str()
    );
    let mut order = limit_order(args.symbol, args.side, args.price, args.qty);
    order.client_order_id = args.client_order_id;
    let req_id = client.place(order)?;
    println!(
        "placed {} {} {} @ {} as req {req_id}",
        args.side.as_str(),
        args.qty,
        args.symbol,
        args.price
    );
    let deadline = Instant::now() + Duration::from_secs(args.secs);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        if let Some(reply) = client.recv_timeout(left)? {
            println!("{}", show(&reply));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("binary_client: {e}");
            ExitCode::FAILURE
        }
    }
}
