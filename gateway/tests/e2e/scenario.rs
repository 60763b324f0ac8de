//! [`WsTarget`]: plays a conformance scenario on a running server over the
//! WebSocket API, one connection per user logged in with that user's key
//! (`k-<user>`) and one admin connection.
//!
//! How a step is played: the step's message goes out on the sender's
//! connection, followed by an engine query (`balances`, or `fees` for the
//! admin) as a barrier; since a session receives everything in the engine's
//! order, the barrier's answer comes after every report the step caused to
//! that session. Then every other connection gets a barrier too, which
//! collects the reports the step caused to the other users.
//!
//! The order of reports across connections is not observable over the wire,
//! so the per-connection streams are interleaved the way the in-process run
//! of the same scenario ([`EngineTarget`], played alongside) orders its
//! reports by owner; each connection's own order is kept as received. The
//! interleaved reports then go through the same comparison as the
//! in-process run, and must also equal the in-process reports field for
//! field (only `ts` differs: the server stamps wall-clock time).
//!
//! After every step: balances (admin `balances` per user) and the fee
//! account (admin `fees`) must conserve deposits minus withdrawals with no
//! negative balance, and balances and books must equal the in-process run's.
//! The server serves no order book yet (no `book` channel, no
//! `/api/v1/orderbook`), so the L2 book is rebuilt from every user's
//! `open_orders`: untriggered stops left out, and an iceberg counted with
//! its visible slice, followed from the reports it got.

use super::{Server, Ws};
use engine::{EngineLimits, UserId};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::str::FromStr;
use testkit::conformance::{
    decimal_eq, is_counted_report, BalanceView, BookLevels, EngineTarget, Scenario, Sender, Target,
};

/// A connection of the target: a user's or the admin's.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Conn {
    Admin,
    User(UserId),
}

pub struct WsTarget {
    admin: Ws,
    users: BTreeMap<UserId, Ws>,
    http: std::net::SocketAddr,
    shadow: EngineTarget,
    assets: Vec<String>,
    symbols: Vec<String>,
    /// Deposits minus withdrawals the server accepted, per asset.
    ledger: BTreeMap<String, Decimal>,
    icebergs: Icebergs,
}

fn dec(v: &Value) -> Option<Decimal> {
    v.as_str().and_then(|s| Decimal::from_str(s).ok())
}

fn dec_of(v: &Value, field: &str) -> Result<Decimal, String> {
    dec(&v[field]).ok_or_else(|| format!("`{field}` is not a decimal string in {v}"))
}

/// `v` without its `ts` field.
fn without_ts(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("ts");
    }
    v
}

impl WsTarget {
    /// Connects the admin; users connect in `setup`.
    pub fn new(srv: &Server) -> WsTarget {
        WsTarget {
            admin: srv.admin(),
            users: BTreeMap::new(),
            http: srv.http,
            shadow: EngineTarget::new(EngineLimits::default()),
            assets: Vec::new(),
            symbols: Vec::new(),
            ledger: BTreeMap::new(),
            icebergs: Icebergs::default(),
        }
    }

    fn conn(&mut self, c: Conn) -> Result<&mut Ws, String> {
        match c {
            Conn::Admin => Ok(&mut self.admin),
            Conn::User(u) => self
                .users
                .get_mut(&u)
                .ok_or_else(|| format!("user {u} is not set up in this scenario")),
        }
    }

    fn setup_cmd(&mut self, v: Value) -> Result<Value, String> {
        let r = self.admin.request(v.clone());
        if r["type"] == "admin" && r["ok"] == true {
            Ok(r)
        } else {
            Err(format!("{v}: answered {r}"))
        }
    }

    fn admin_query(&mut self, v: Value) -> Result<Value, String> {
        Ok(self.admin.request(v))
    }

    /// The server's balances of `user`: asset -> (available, locked).
    fn ws_balances(
        &mut self,
        user: UserId,
    ) -> Result<BTreeMap<String, (Decimal, Decimal)>, String> {
        let r = self.admin_query(json!({"op": "balances", "user": user}))?;
        if r["type"] != "balances" || r["user"] != user {
            return Err(format!("admin balances of user {user} answered {r}"));
        }
        let map = r["balances"]
            .as_object()
            .ok_or_else(|| format!("balances without a map: {r}"))?;
        let mut out = BTreeMap::new();
        for (asset, b) in map {
            out.insert(
                asset.clone(),
                (dec_of(b, "available")?, dec_of(b, "locked")?),
            );
        }
        Ok(out)
    }

    fn ws_fees(&mut self) -> Result<BTreeMap<String, Decimal>, String> {
        let r = self.admin_query(json!({"op": "fees"}))?;
        if r["type"] != "admin" || r["op"] != "fees" || r["ok"] != true {
            return Err(format!("fees answered {r}"));
        }
        let map = r["fees"]
            .as_object()
            .ok_or_else(|| format!("fees without a map: {r}"))?;
        map.iter()
            .map(|(a, v)| {
                dec(v)
                    .map(|d| (a.clone(), d))
                    .ok_or_else(|| format!("fee {a} is not a decimal: {r}"))
            })
            .collect()
    }

    /// The L2 book of `symbol` as every user's open orders show it.
    fn ws_book(&mut self, symbol: &str) -> Result<BookLevels, String> {
        let mut bids: BTreeMap<Decimal, Decimal> = BTreeMap::new();
        let mut asks: BTreeMap<Decimal, Decimal> = BTreeMap::new();
        let users: Vec<UserId> = self.users.keys().copied().collect();
        for u in users {
            let ws = self.conn(Conn::User(u))?;
            let r = ws.request(json!({"op": "open_orders", "symbol": symbol}));
            let orders = r["orders"]
                .as_array()
                .filter(|_| r["type"] == "open_orders")
                .ok_or_else(|| format!("open_orders of user {u} answered {r}"))?;
            for o in orders {
                if o["user"] != u || o["symbol"] != symbol {
                    return Err(format!(
                        "open_orders of user {u} in {symbol} lists a foreign order: {o}"
                    ));
                }
                let id = o["order_id"]
                    .as_u64()
                    .ok_or_else(|| format!("order without order_id: {o}"))?;
                let is_stop = o["order_type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("stop_"));
                if is_stop && !self.icebergs.triggered.contains(&id) {
                    continue;
                }
                let price = dec_of(o, "price")?;
                let visible = match self.icebergs.orders.get(&id) {
                    Some(ice) => ice.visible,
                    None => dec_of(o, "remaining_qty")?,
                };
                let side = match o["side"].as_str() {
                    Some("buy") => &mut bids,
                    Some("sell") => &mut asks,
                    _ => return Err(format!("order without side: {o}")),
                };
                *side.entry(price).or_default() += visible;
            }
        }
        let show =
            |(p, q): (&Decimal, &Decimal)| (p.normalize().to_string(), q.normalize().to_string());
        Ok(BookLevels {
            bids: bids.iter().rev().map(show).collect(),
            asks: asks.iter().map(show).collect(),
        })
    }

    /// Follows deposits and withdrawals the server accepted.
    fn track_ledger(&mut self, msg: &Value, replies: &[Value]) -> Result<(), String> {
        let op = msg["op"].as_str().unwrap_or("");
        let sign = match op {
            "deposit" => Decimal::ONE,
            "withdraw" => -Decimal::ONE,
            _ => return Ok(()),
        };
        let accepted = replies
            .iter()
            .any(|r| r["type"] == "admin" && r["op"] == op && r["ok"] == true);
        if accepted {
            let asset = msg["asset"].as_str().unwrap_or("").to_string();
            *self.ledger.entry(asset).or_default() += sign * dec_of(msg, "amount")?;
        }
        Ok(())
    }
}

/// Interleaves the per-connection streams in the order `reference` gives
/// owners; what `reference` does not account for follows, sender first.
fn interleave(
    reference: &[Value],
    sender: Conn,
    mut got: BTreeMap<Conn, VecDeque<Value>>,
) -> Vec<Value> {
    let mut merged = Vec::new();
    for r in reference {
        let owner = match (r["type"].as_str(), r["user"].as_u64()) {
            (Some("execution"), Some(u)) => Conn::User(u),
            _ => sender,
        };
        if let Some(v) = got.get_mut(&owner).and_then(VecDeque::pop_front) {
            merged.push(v);
        }
    }
    if let Some(q) = got.remove(&sender) {
        merged.extend(q);
    }
    for (_, q) in got {
        merged.extend(q);
    }
    merged
}

/// The counted reports of both runs must be equal but for `ts`.
fn same_as_in_process(reference: &[Value], actual: &[Value]) -> Result<(), String> {
    let r: Vec<Value> = reference
        .iter()
        .filter(|v| is_counted_report(v))
        .map(without_ts)
        .collect();
    let a: Vec<Value> = actual
        .iter()
        .filter(|v| is_counted_report(v))
        .map(without_ts)
        .collect();
    if r == a {
        return Ok(());
    }
    let mut m = format!(
        "  the server's reports differ from the in-process run's ({} vs {} reports; `ts` ignored):",
        a.len(),
        r.len()
    );
    for i in 0..r.len().max(a.len()) {
        let (x, y) = (r.get(i), a.get(i));
        if x != y {
            m.push_str(&format!(
                "\n  report {}:\n    in-process: {}\n    server:     {}",
                i + 1,
                x.map_or("(none)".into(), Value::to_string),
                y.map_or("(none)".into(), Value::to_string)
            ));
        }
    }
    Err(m)
}

impl Target for WsTarget {
    fn setup(&mut self, sc: &Scenario, ts_ns: u64) -> Result<(), String> {
        self.shadow
            .setup(sc, ts_ns)
            .map_err(|e| format!("in-process: {e}"))?;
        for a in &sc.assets {
            self.setup_cmd(json!({"op": "add_asset", "asset": a.asset, "scale": a.scale}))?;
            self.assets.push(a.asset.clone());
        }
        for s in &sc.symbols {
            let mut body = s.clone();
            body.insert("op".into(), "add_symbol".into());
            self.setup_cmd(Value::Object(body))?;
            if let Some(name) = s.get("symbol").and_then(Value::as_str) {
                self.symbols.push(name.to_string());
            }
        }
        for u in &sc.users {
            self.setup_cmd(json!({"op": "add_user", "user": u.user,
                "api_key": format!("k-{}", u.user), "role": "trader"}))?;
            for (asset, amount) in &u.deposits {
                let msg = json!({"op": "deposit", "user": u.user, "asset": asset,
                    "amount": amount, "tx_id": format!("setup-{}-{asset}", u.user)});
                let r = self.setup_cmd(msg.clone())?;
                self.track_ledger(&msg, &[r])?;
            }
        }
        for u in &sc.users {
            let mut ws = Ws::connect(self.http, "/ws");
            let r = ws.login(&format!("k-{}", u.user), false);
            if r["type"] != "login" || r["user"] != u.user {
                return Err(format!("login of user {}: {r}", u.user));
            }
            self.users.insert(u.user, ws);
        }
        Ok(())
    }

    fn send(&mut self, from: Sender, msg: &Value, ts_ns: u64) -> Result<Vec<Value>, String> {
        let reference = self
            .shadow
            .send(from, msg, ts_ns)
            .map_err(|e| format!("in-process: {e}"))?;
        let sender = match from {
            Sender::Admin => Conn::Admin,
            Sender::User(u) => Conn::User(u),
        };
        let ws = self.conn(sender)?;
        ws.send_text(&msg.to_string())?;
        let mut got = BTreeMap::new();
        got.insert(sender, VecDeque::from(ws.barrier()?));
        let others: Vec<Conn> = std::iter::once(Conn::Admin)
            .chain(self.users.keys().map(|&u| Conn::User(u)))
            .filter(|&c| c != sender)
            .collect();
        for c in others {
            let q = self.conn(c)?.barrier()?;
            got.insert(c, VecDeque::from(q));
        }
        let merged = interleave(&reference, sender, got);
        same_as_in_process(&reference, &merged)?;
        self.track_ledger(msg, &merged)?;
        self.icebergs.follow(from, msg, &merged)?;
        Ok(merged)
    }

    fn check(&mut self) -> Result<(), String> {
        self.shadow
            .check()
            .map_err(|e| format!("in-process: {e}"))?;
        let mut held: BTreeMap<String, Decimal> = BTreeMap::new();
        let users: Vec<UserId> = self.users.keys().copied().collect();
        for u in users {
            let b = self.ws_balances(u)?;
            for asset in self.assets.clone() {
                let (av, lk) = b.get(&asset).copied().unwrap_or_default();
                if av < Decimal::ZERO || lk < Decimal::ZERO {
                    return Err(format!(
                        "negative balance on the server: user {u} {asset}: {av} / {lk}"
                    ));
                }
                *held.entry(asset.clone()).or_default() += av + lk;
                let want = self.shadow.balance(u, &asset)?;
                if !decimal_eq(&want.available, &av.to_string())
                    || !decimal_eq(&want.locked, &lk.to_string())
                {
                    return Err(format!(
                        "balance of user {u} in {asset}: server {av} available / {lk} locked, \
                         in-process {} / {}",
                        want.available, want.locked
                    ));
                }
            }
        }
        for (asset, f) in self.ws_fees()? {
            if f < Decimal::ZERO {
                return Err(format!("negative fee account on the server: {asset} {f}"));
            }
            *held.entry(asset).or_default() += f;
        }
        for asset in &self.assets {
            let h = held.get(asset).copied().unwrap_or_default();
            let l = self.ledger.get(asset).copied().unwrap_or_default();
            if h != l {
                return Err(format!(
                    "conservation broken on the server for {asset}: users' available + locked + \
                     fees = {h}, deposits - withdrawals = {l}"
                ));
            }
        }
        for s in self.symbols.clone() {
            let got = self.ws_book(&s)?;
            let want = self.shadow.book(&s)?;
            let same = |a: &[(String, String)], b: &[(String, String)]| {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| decimal_eq(&x.0, &y.0) && decimal_eq(&x.1, &y.1))
            };
            if !same(&got.bids, &want.bids) || !same(&got.asks, &want.asks) {
                return Err(format!(
                    "book of {s} (from the server's open orders): {got:?}, in-process: {want:?}"
                ));
            }
        }
        Ok(())
    }

    fn book(&mut self, symbol: &str) -> Result<BookLevels, String> {
        self.ws_book(symbol)
    }

    fn balance(&mut self, user: UserId, asset: &str) -> Result<BalanceView, String> {
        let b = self.ws_balances(user)?;
        let (av, lk) = b.get(asset).copied().unwrap_or_default();
        Ok(BalanceView {
            available: av.to_string(),
            locked: lk.to_string(),
        })
    }

    fn fees(&mut self) -> Result<BTreeMap<String, String>, String> {
        Ok(self
            .ws_fees()?
            .into_iter()
            .map(|(a, d)| (a, d.to_string()))
            .collect())
    }
}

// ---------------------------------------------------------------------------
// Icebergs and stops, as the reports show them
// ---------------------------------------------------------------------------

/// What `open_orders` does not say: the visible slice of each iceberg and
/// which stops have triggered (matching.md: an iceberg shows
/// `min(display_qty, remaining)`, a used-up slice is replaced by a new one;
/// a reduction that keeps the place comes out of the hidden reserve first;
/// an amend that loses the place, like an arrival, matches first and then
/// rests a fresh slice).
#[derive(Default)]
struct Icebergs {
    orders: BTreeMap<u64, Ice>,
    triggered: BTreeSet<u64>,
}

struct Ice {
    display: Decimal,
    visible: Decimal,
    price: Decimal,
    qty: Decimal,
    remaining: Decimal,
    /// Incoming (arrived or re-priced): rests a fresh slice once it stops matching.
    arriving: bool,
}

impl Icebergs {
    fn follow(&mut self, from: Sender, msg: &Value, reports: &[Value]) -> Result<(), String> {
        let display = match (msg["op"].as_str(), dec(&msg["display_qty"])) {
            (Some("place"), Some(d)) => Some(d),
            _ => None,
        };
        let mut placed = false;
        for r in reports.iter().filter(|r| r["type"] == "execution") {
            let id = r["order_id"].as_u64().unwrap_or(0);
            let exec = r["exec_type"].as_str().unwrap_or("");
            if exec == "triggered" {
                self.triggered.insert(id);
            }
            if let (Some(d), "new", false) = (display, exec, placed) {
                if from == Sender::User(r["user"].as_u64().unwrap_or(0)) {
                    placed = true;
                    let rem = dec_of(r, "remaining_qty")?;
                    self.orders.insert(
                        id,
                        Ice {
                            display: d,
                            visible: Decimal::ZERO,
                            price: dec_of(r, "price")?,
                            qty: dec_of(r, "qty")?,
                            remaining: rem,
                            arriving: true,
                        },
                    );
                    continue;
                }
            }
            let Some(ice) = self.orders.get_mut(&id) else {
                continue;
            };
            let rem = dec_of(r, "remaining_qty")?;
            match exec {
                "trade" if r["liquidity"] == "maker" => {
                    let q = dec_of(r, "last_qty")?;
                    if ice.arriving {
                        ice.visible = ice.display.min(rem + q);
                        ice.arriving = false;
                    }
                    ice.visible -= q;
                    if ice.visible <= Decimal::ZERO && rem > Decimal::ZERO {
                        ice.visible = ice.display.min(rem);
                    }
                }
                "trade" => ice.arriving = true,
                "replaced" => {
                    let (price, qty) = (dec_of(r, "price")?, dec_of(r, "qty")?);
                    if price == ice.price && qty <= ice.qty {
                        ice.visible = ice.visible.min(rem);
                    } else {
                        ice.arriving = true;
                    }
                    ice.price = price;
                    ice.qty = qty;
                }
                _ => {}
            }
            ice.remaining = rem;
            if matches!(
                r["status"].as_str(),
                Some("filled" | "canceled" | "rejected")
            ) {
                self.orders.remove(&id);
            }
        }
        for ice in self.orders.values_mut() {
            if ice.arriving {
                ice.visible = ice.display.min(ice.remaining);
                ice.arriving = false;
            }
        }
        Ok(())
    }
}
