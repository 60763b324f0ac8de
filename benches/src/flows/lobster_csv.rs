//! The `lobster` flow: LOBSTER's AMZN message file mapped to ringex commands.
//!
//! What holds: the file is `Time,Type,OrderId,Size,Price,Direction` with a
//! header row and CRLF (or LF) line ends; Time is seconds after midnight of
//! the day in the file name, Price is dollars x 10,000 (so tick 0.0001 maps
//! every price exactly), Size whole shares (lot 1), Direction 1 buy / -1 sell.
//! Types map as [`super::feed`] describes: 1 add, 2 partial cancel, 3 delete,
//! 4 execution (an IOC from the other side), 5 hidden execution skipped, 7
//! halt (price -1) / resume (price 1; the quote-only resume, price 0, is
//! skipped). The symbol is `<TICKER>-USD`, the ticker taken from the name.
//! The `_orderbook_` file beside it (best prices after each message), when
//! present, reconciles our book with LOBSTER's top of book: a level-1 message
//! file leaves out what happens away from the top, cancels included.

use super::builder::FlowStats;
use super::feed::FeedMapper;
use crate::flowfile::Flow;
use engine::Side;
use std::path::Path;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `TICKER` and the day's midnight (UTC, ns) from a name like
/// `AMZN_2012-06-21_34200000_57600000_message_1.csv`.
fn ticker_and_day(path: &Path) -> Result<(String, u64), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut parts = name.split('_');
    let ticker = parts.next().unwrap_or("").to_string();
    let date = parts.next().unwrap_or("");
    let ymd: Vec<&str> = date.split('-').collect();
    let parse = |s: &str| s.parse::<i64>().ok();
    match (ticker.is_empty(), ymd.as_slice()) {
        (false, [y, m, d]) => {
            let (y, m, d) = (parse(y), parse(m), parse(d));
            let (Some(y), Some(m), Some(d)) = (y, m, d) else {
                return Err(format!("{name}: no date in the file name"));
            };
            let days = days_from_civil(y, m as u32, d as u32);
            Ok((ticker, days as u64 * 86_400 * 1_000_000_000))
        }
        _ => Err(format!(
            "{name}: expected TICKER_YYYY-MM-DD_..._message_N.csv"
        )),
    }
}

/// Seconds with a decimal fraction (`34200.01746`) to nanoseconds.
fn seconds_to_ns(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut ns = int.parse::<u64>().ok()?.checked_mul(1_000_000_000)?;
    if !frac.is_empty() {
        ns += frac.parse::<u64>().ok()? * 10u64.pow(9 - frac.len() as u32);
    }
    Some(ns)
}

/// One message row.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub time_ns: u64,
    pub kind: u8,
    pub order_id: u64,
    pub size: i64,
    pub price: i64,
    pub side: Side,
}

fn parse_line(line: &str) -> Option<Message> {
    let mut f = line.split(',');
    let time_ns = seconds_to_ns(f.next()?)?;
    let kind = f.next()?.parse::<u8>().ok()?;
    let order_id = f.next()?.parse::<u64>().ok()?;
    let size = f.next()?.parse::<i64>().ok()?;
    let price = f.next()?.parse::<i64>().ok()?;
    let side = match f.next()?.parse::<i8>().ok()? {
        1 => Side::Buy,
        -1 => Side::Sell,
        _ => return None,
    };
    if f.next().is_some() {
        return None;
    }
    Some(Message {
        time_ns,
        kind,
        order_id,
        size,
        price,
        side,
    })
}

/// Parses every row (after the header) of a LOBSTER message file.
pub fn parse_messages(text: &str) -> Result<Vec<Message>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if i == 0 && line.starts_with("Time") {
            continue;
        }
        if line.is_empty() {
            continue;
        }
        out.push(parse_line(line).ok_or_else(|| format!("line {}: cannot parse {line:?}", i + 1))?);
    }
    Ok(out)
}

/// LOBSTER's "no price" values in an order-book file.
const NO_ASK: i64 = 9_999_999_999;
const NO_BID: i64 = -9_999_999_999;

/// Best bid and best ask in ticks (`None`: nothing on that side).
pub type TopOfBook = (Option<i64>, Option<i64>);

/// Best (bid, ask) after each message, from the `_orderbook_1.csv` beside a
/// message file (`BestAsk,BestAskVolume,BestBid,BestBidVolume`).
pub fn parse_top_of_book(text: &str) -> Result<Vec<TopOfBook>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if (i == 0 && line.starts_with("Best")) || line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let num = |k: usize| f.get(k).and_then(|s| s.parse::<i64>().ok());
        let (Some(ask), Some(bid)) = (num(0), num(2)) else {
            return Err(format!("order book line {}: cannot parse {line:?}", i + 1));
        };
        let ask = (ask.abs() < NO_ASK).then_some(ask);
        let bid = (bid.abs() < -NO_BID).then_some(bid);
        out.push((bid, ask));
    }
    Ok(out)
}

/// The order-book file that goes with a message file.
pub fn top_of_book_path(messages: &Path) -> std::path::PathBuf {
    let name = messages.file_name().and_then(|n| n.to_str()).unwrap_or("");
    messages.with_file_name(name.replace("_message_", "_orderbook_"))
}

/// Builds the `lobster` flow from a message file; `measured_max` truncates it.
/// With the order-book file beside it, our book is reconciled with LOBSTER's
/// best prices after every message (see [`FeedMapper::reconcile`]).
pub fn lobster_flow(path: &Path, measured_max: Option<u64>) -> Result<(Flow, FlowStats), String> {
    let (ticker, day_ns) = ticker_and_day(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let messages = parse_messages(&text)?;
    let top_path = top_of_book_path(path);
    let top = match (top_path != path && top_path.exists()).then_some(top_path.clone()) {
        Some(p) => {
            let t = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let top = parse_top_of_book(&t)?;
            if top.len() != messages.len() {
                return Err(format!(
                    "{}: {} rows for {} messages",
                    p.display(),
                    top.len(),
                    messages.len()
                ));
            }
            Some(top)
        }
        None => {
            crate::data::notice_missing("lobster reconciliation with the order book", &top_path);
            None
        }
    };
    let mut m = FeedMapper::new("lobster", day_ns, &[ticker.as_str()], measured_max);
    for (i, msg) in messages.iter().enumerate() {
        if m.b.is_full() {
            break;
        }
        m.b.set_time(day_ns + msg.time_ns);
        m.b.stats.note("feed_messages", 1);
        match msg.kind {
            1 => m.add(0, msg.order_id, msg.side, msg.price, msg.size),
            2 => m.reduce(msg.order_id, msg.size),
            3 => m.delete(msg.order_id),
            4 => m.execute(msg.order_id, msg.size),
            5 => m.b.stats.note("skipped_hidden_execution", 1),
            7 => match msg.price {
                -1 => m.set_halted(0, true),
                1 => m.set_halted(0, false),
                _ => m.b.stats.note("skipped_quote_resume", 1),
            },
            _ => m.b.stats.note("skipped_unknown_type", 1),
        }
        if let Some(top) = &top {
            let (bid, ask) = top[i];
            m.reconcile(0, bid, ask);
        }
    }
    Ok(m.b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2012, 6, 21) * 86_400, 1_340_236_800);
        assert_eq!(seconds_to_ns("34200.01746"), Some(34_200_017_460_000));
        assert_eq!(seconds_to_ns("5"), Some(5_000_000_000));
        assert_eq!(seconds_to_ns("1.x"), None);
        let (t, d) = ticker_and_day(Path::new(
            "x/AMZN_2012-06-21_34200000_57600000_message_1.csv",
        ))
        .unwrap();
        assert_eq!((t.as_str(), d), ("AMZN", 1_340_236_800_000_000_000));
    }

    #[test]
    fn rows() {
        let text = "Time,Type,OrderId,Size,Price,Direction\r\n34200.18961,1,11885113,21,2238100,1\r\n34200.19023,4,11885113,21,2238100,1";
        let m = parse_messages(text).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].price, 2_238_100);
        assert_eq!(m[1].kind, 4);
        assert!(parse_messages("Time\n1,2,3").is_err());
    }
}
