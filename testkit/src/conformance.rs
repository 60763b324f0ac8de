//! Conformance scenarios (`../shared/conformance/README.md`): what a scenario
//! is, how the reports of a step are compared with what it expects, and a
//! [`Target`] that runs the steps in-process against the engine.
//!
//! What it owns:
//! - The scenario format ([`Scenario`]) and the meaning of a pass:
//!   [`run_scenario`] sends each step through a [`Target`], keeps the reports
//!   that count (`execution`, `reject`, `cancel_all`, `admin` other than the
//!   `fees`/`snapshot` query replies), requires exactly as many as listed,
//!   each listed object a subset of the actual one ([`subset_diff`]: decimals
//!   compared by value, an expected `null` met by `null` or an absent field),
//!   then compares `final` exactly. It stops at the first difference and
//!   describes it in full.
//! - [`EngineTarget`]: drives a fresh [`Engine`] behind the gateway's own
//!   router and the pipeline's business logic, in process (decode, log in,
//!   route, stamp `seq` and `ts`, apply, route the reports back to the
//!   sessions), and after every step checks the engine's
//!   invariants plus its own conservation ledger (per asset: users' available
//!   + locked + fees = deposits - withdrawals) and that no balance is negative.
//!
//! What it must never do: know how a target reaches the engine (the
//! comparison part is shared with the end-to-end WebSocket runner), or let a
//! difference pass silently: a step that cannot be sent, a reply that is not
//! JSON, a setup command the engine refuses, all fail the scenario.
//!
//! Format extension: a step may carry a `note` (ignored), used by the
//! in-repo scenarios to show how their expected numbers were worked out.
//! Unknown step fields are refused so that a misspelt `expect` is caught.

use engine::market_data::MarketData;
use engine::{
    units_to_fixed, AssetId, CommandKind, Engine, EngineLimits, Event, KeyHash, Name, UserId,
};
use gateway::router::{Router, SessionLimits, Wire};
use pipeline::logic::InProcess;
use pipeline::metrics::Metrics;
use pipeline::{InSlot, Input, OutSlot, Output};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use wire::json::decode_request;
use wire::Op;

/// Timestamp of the setup commands; steps default to the previous plus one.
pub const TS_START_NS: u64 = 1_700_000_000_000_000_000;

/// One scenario file.
#[derive(Clone, Debug, Deserialize)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub assets: Vec<AssetSetup>,
    /// Bodies of `add_symbol` ops (without `op`).
    #[serde(default)]
    pub symbols: Vec<Map<String, Value>>,
    #[serde(default)]
    pub users: Vec<UserSetup>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(rename = "final", default)]
    pub final_state: FinalState,
}

impl Scenario {
    pub fn from_json(text: &str) -> Result<Scenario, String> {
        serde_json::from_str(text).map_err(|e| format!("not a scenario: {e}"))
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct AssetSetup {
    pub asset: String,
    pub scale: u8,
}

#[derive(Clone, Debug, Deserialize)]
pub struct UserSetup {
    pub user: UserId,
    /// Asset -> amount: one deposit each.
    #[serde(default)]
    pub deposits: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default)]
    pub user: Option<UserId>,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub ts: Option<u64>,
    pub send: Value,
    /// `None`: the step checks nothing. `Some(vec![])`: it must cause no report.
    #[serde(default)]
    pub expect: Option<Vec<Value>>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct FinalState {
    #[serde(default)]
    pub books: BTreeMap<String, BookLevels>,
    /// User id (as text) -> asset -> balance.
    #[serde(default)]
    pub balances: BTreeMap<String, BTreeMap<String, BalanceView>>,
    #[serde(default)]
    pub fees: BTreeMap<String, String>,
}

/// An L2 book as decimal strings: `[price, visible qty]`, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct BookLevels {
    pub bids: Vec<(String, String)>,
    pub asks: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BalanceView {
    pub available: String,
    pub locked: String,
}

/// Who sends a step.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Sender {
    User(UserId),
    Admin,
}

/// Something that can play a scenario: the engine in-process, or a server
/// over the WebSocket API.
pub trait Target {
    /// Creates the assets, the symbols, the users (API key `k-<user>`, role
    /// trader) and one deposit per listed amount (tx id
    /// `setup-<user>-<asset>`). Not checked by the scenario, but any refusal
    /// is an error.
    fn setup(&mut self, sc: &Scenario, ts_ns: u64) -> Result<(), String>;
    /// Sends `msg` as `from`, stamped `ts_ns` where the target stamps time,
    /// and returns every reply and report it caused, to anyone, in order, as
    /// JSON objects. The runner picks the reports that count.
    fn send(&mut self, from: Sender, msg: &Value, ts_ns: u64) -> Result<Vec<Value>, String>;
    /// What must hold after every step.
    fn check(&mut self) -> Result<(), String>;
    fn book(&mut self, symbol: &str) -> Result<BookLevels, String>;
    fn balance(&mut self, user: UserId, asset: &str) -> Result<BalanceView, String>;
    /// Asset -> amount held by the fee account (assets without fees may be absent).
    fn fees(&mut self) -> Result<BTreeMap<String, String>, String>;
}

/// What a passing scenario did.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Pass {
    pub steps: usize,
    pub events_checked: usize,
}

/// Does this reply count in `expect`? Reports of type `execution`, `reject`,
/// `cancel_all` and `admin`, except the `admin` replies to the `fees` and
/// `snapshot` queries (query replies are not part of `expect`).
pub fn is_counted_report(v: &Value) -> bool {
    match v.get("type").and_then(Value::as_str) {
        Some("execution" | "reject" | "cancel_all") => true,
        Some("admin") => !matches!(
            v.get("op").and_then(Value::as_str),
            Some("fees" | "snapshot")
        ),
        _ => false,
    }
}

/// Plays `sc` on `target`. `Err` holds the first difference, described in
/// full (several lines).
pub fn run_scenario(sc: &Scenario, target: &mut dyn Target) -> Result<Pass, String> {
    target
        .setup(sc, TS_START_NS)
        .map_err(|e| format!("setup: {e}"))?;
    target.check().map_err(|e| format!("after setup: {e}"))?;
    let mut ts = TS_START_NS;
    let mut events_checked = 0;
    for (i, step) in sc.steps.iter().enumerate() {
        let n = i + 1;
        ts = step.ts.unwrap_or(ts.saturating_add(1));
        let from = match (step.admin, step.user) {
            (true, _) => Sender::Admin,
            (false, Some(u)) => Sender::User(u),
            (false, None) => return Err(format!("step {n}: neither `user` nor `admin`")),
        };
        let who = match from {
            Sender::Admin => "admin".to_string(),
            Sender::User(u) => format!("user {u}"),
        };
        let head = format!("step {n} ({who}) sent {}", step.send);
        let replies = target
            .send(from, &step.send, ts)
            .map_err(|e| format!("{head}\n  {e}"))?;
        let reports: Vec<&Value> = replies.iter().filter(|v| is_counted_report(v)).collect();
        if let Some(expect) = &step.expect {
            compare_reports(expect, &reports).map_err(|e| format!("{head}\n{e}"))?;
            events_checked += expect.len();
        }
        target
            .check()
            .map_err(|e| format!("{head}\n  after the step: {e}"))?;
    }
    compare_final(&sc.final_state, target)?;
    Ok(Pass {
        steps: sc.steps.len(),
        events_checked,
    })
}

/// The reports of one step against its `expect`: the first difference, in full.
pub fn compare_reports(expect: &[Value], actual: &[&Value]) -> Result<(), String> {
    for (i, (e, a)) in expect.iter().zip(actual).enumerate() {
        if let Some(d) = subset_diff(e, a) {
            return Err(format!(
                "  event {} of {}: {d}\n  expected: {e}\n  actual:   {a}",
                i + 1,
                expect.len()
            ));
        }
    }
    if expect.len() != actual.len() {
        let mut m = format!("  expected {} event(s), got {}", expect.len(), actual.len());
        let common = expect.len().min(actual.len());
        for (i, e) in expect.iter().enumerate().skip(common) {
            let _ = write!(m, "\n  missing event {}: {e}", i + 1);
        }
        for (i, a) in actual.iter().enumerate().skip(common) {
            let _ = write!(m, "\n  extra event {}: {a}", i + 1);
        }
        return Err(m);
    }
    Ok(())
}

/// Where an expected value is not met by the actual one.
#[derive(Clone, Debug, PartialEq)]
pub struct Diff {
    /// `status`, `fills[2].qty`; empty for the top level.
    pub path: String,
    pub expected: Value,
    /// `None`: the field is absent.
    pub actual: Option<Value>,
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "value"
        } else {
            &self.path
        };
        match &self.actual {
            Some(a) => write!(f, "field `{path}`: expected {}, actual {a}", self.expected),
            None => write!(
                f,
                "field `{path}`: expected {}, actual absent",
                self.expected
            ),
        }
    }
}

/// `None` when `expected` is contained in `actual`: every field of an
/// expected object present and equal (recursively), arrays of the same
/// length with each element contained, two strings that both read as
/// decimals equal by value, an expected `null` met by `null` or absence,
/// anything else equal as JSON.
pub fn subset_diff(expected: &Value, actual: &Value) -> Option<Diff> {
    let mut path = String::new();
    diff_at(expected, Some(actual), &mut path)
}

fn diff_at(expected: &Value, actual: Option<&Value>, path: &mut String) -> Option<Diff> {
    let here = |path: &String| Diff {
        path: path.clone(),
        expected: expected.clone(),
        actual: actual.cloned(),
    };
    match (expected, actual) {
        (Value::Null, None | Some(Value::Null)) => None,
        (_, None) => Some(here(path)),
        (Value::Object(e), Some(Value::Object(a))) => {
            for (k, ev) in e {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if let Some(d) = diff_at(ev, a.get(k), path) {
                    return Some(d);
                }
                path.truncate(len);
            }
            None
        }
        (Value::Array(e), Some(Value::Array(a))) => {
            if e.len() != a.len() {
                return Some(here(path));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                if let Some(d) = diff_at(ev, Some(av), path) {
                    return Some(d);
                }
                path.truncate(len);
            }
            None
        }
        (Value::String(e), Some(Value::String(a))) => {
            let same = match (decimal_value(e), decimal_value(a)) {
                (Some(x), Some(y)) => x == y,
                _ => e == a,
            };
            (!same).then(|| here(path))
        }
        (Value::Number(e), Some(Value::Number(a))) => {
            let same = match (e.as_i64(), a.as_i64(), e.as_u64(), a.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => e.as_f64() == a.as_f64(),
            };
            (!same).then(|| here(path))
        }
        (e, Some(a)) => (e != a).then(|| here(path)),
    }
}

/// The value of a decimal string (`-?digits[.digits]`), `None` for anything
/// else (so `"buy"` or `"1e5"` compare as text).
pub fn decimal_value(s: &str) -> Option<Decimal> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
    if !all_digits(int) || matches!(frac, Some(f) if !all_digits(f)) {
        return None;
    }
    Decimal::from_str_exact(s).ok()
}

/// Equal by value when both read as decimals; equal as text otherwise.
pub fn decimal_eq(a: &str, b: &str) -> bool {
    match (decimal_value(a), decimal_value(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn levels_eq(e: &[(String, String)], a: &[(String, String)]) -> bool {
    e.len() == a.len()
        && e.iter()
            .zip(a)
            .all(|((ep, eq), (ap, aq))| decimal_eq(ep, ap) && decimal_eq(eq, aq))
}

fn compare_final(f: &FinalState, target: &mut dyn Target) -> Result<(), String> {
    for (symbol, want) in &f.books {
        let got = target
            .book(symbol)
            .map_err(|e| format!("final.books.{symbol}: {e}"))?;
        for (side, w, g) in [
            ("bids", &want.bids, &got.bids),
            ("asks", &want.asks, &got.asks),
        ] {
            if !levels_eq(w, g) {
                return Err(format!(
                    "final.books.{symbol}.{side}: expected {}, actual {}",
                    levels_json(w),
                    levels_json(g)
                ));
            }
        }
    }
    for (user, assets) in &f.balances {
        let uid: UserId = user
            .parse()
            .map_err(|_| format!("final.balances: user {user:?} is not a number"))?;
        for (asset, want) in assets {
            let got = target
                .balance(uid, asset)
                .map_err(|e| format!("final.balances.{user}.{asset}: {e}"))?;
            for (field, w, g) in [
                ("available", &want.available, &got.available),
                ("locked", &want.locked, &got.locked),
            ] {
                if !decimal_eq(w, g) {
                    return Err(format!(
                        "final.balances.{user}.{asset}.{field}: expected {w:?}, actual {g:?}"
                    ));
                }
            }
        }
    }
    if !f.fees.is_empty() {
        let got = target.fees().map_err(|e| format!("final.fees: {e}"))?;
        for (asset, w) in &f.fees {
            let g = got.get(asset).map_or("0", String::as_str);
            if !decimal_eq(w, g) {
                return Err(format!("final.fees.{asset}: expected {w:?}, actual {g:?}"));
            }
        }
    }
    Ok(())
}

fn levels_json(levels: &[(String, String)]) -> String {
    let v: Vec<[&str; 2]> = levels
        .iter()
        .map(|(p, q)| [p.as_str(), q.as_str()])
        .collect();
    serde_json::to_string(&v).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// The engine, in-process, behind the gateway's router
// ---------------------------------------------------------------------------

/// The admin key of the in-process router.
const ADMIN_KEY: &str = "conformance-admin";
/// The admin's session; users' sessions are numbered after it.
const ADMIN_SID: u32 = 1;

/// Plays scenarios on a fresh [`Engine`] behind the gateway's own
/// [`Router`]: each user has a WebSocket session logged in with its key, the
/// admin one with the admin key; every step is decoded by the JSON codec,
/// routed, sequenced and applied by the pipeline's business logic in
/// process ([`InProcess`]), and its outputs are routed back to the sessions.
/// So who receives which report follows the one rule the server follows.
pub struct EngineTarget {
    router: Router,
    logic: InProcess,
    metrics: Metrics,
    /// User -> its session.
    sessions: BTreeMap<UserId, u32>,
    /// Deposits minus withdrawals that the engine accepted, per asset, in units.
    ledger: BTreeMap<AssetId, i128>,
}

impl EngineTarget {
    pub fn new(limits: EngineLimits) -> EngineTarget {
        let engine = Engine::new(limits);
        let router = Router::new(
            engine.directory().clone(),
            Vec::new(),
            Some(KeyHash::of_key(ADMIN_KEY)),
            0,
            // Steps are nanoseconds apart: no rate limit, no send-queue bound.
            SessionLimits {
                rate_per_s: u64::MAX / 4_000_000_000,
                burst: u64::MAX / 4_000_000_000,
                send_queue_bytes: usize::MAX / 2,
                ..SessionLimits::default()
            },
            MarketData::new(),
        );
        let mut t = EngineTarget {
            router,
            logic: InProcess::new(engine),
            metrics: Metrics::default(),
            sessions: BTreeMap::new(),
            ledger: BTreeMap::new(),
        };
        t.router.open(ADMIN_SID, Wire::Ws, TS_START_NS);
        let login = json!({"op": "login", "api_key": ADMIN_KEY});
        let _ = t.route(ADMIN_SID, &login.to_string(), TS_START_NS);
        t
    }

    pub fn engine(&self) -> &Engine {
        self.logic.engine()
    }

    /// Sends `text` from session `sid` through the router, applies what it
    /// published, routes the outputs back, and returns every message any
    /// session received, in order, as JSON.
    fn route(&mut self, sid: u32, text: &str, ts_ns: u64) -> Result<Vec<Value>, String> {
        let mut published: Vec<InSlot> = Vec::new();
        let mut publish = |slot: InSlot| {
            published.push(slot);
            true
        };
        let decoded = decode_request(text);
        self.router
            .on_request(sid, decoded, ts_ns, 0, &mut publish, &self.metrics);
        self.router.publish_deferred(ts_ns, 0, &mut publish);
        let mut replies = self.collect()?;
        let mut i = 0;
        while i < published.len() {
            let slot = published[i];
            i += 1;
            let outs = self
                .logic
                .handle(&slot)
                .map_err(|e| format!("engine refused the command: {e}"))?;
            if let Input::Command(cmd) = &slot.input {
                self.track_ledger(&cmd.kind, &outs)?;
            }
            for o in &outs {
                self.router.on_output(o);
                replies.extend(self.collect()?);
            }
            self.router.publish_deferred(ts_ns, 0, &mut |s| {
                published.push(s);
                true
            });
        }
        Ok(replies)
    }

    /// Takes what the sessions were sent, session by session.
    fn collect(&mut self) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        let mut sids: Vec<u32> = Vec::new();
        for (sid, _, _) in self.router.outboxes() {
            sids.push(sid);
        }
        sids.sort_unstable();
        for sid in sids {
            if let Some(ob) = self.router.outbox_mut(sid) {
                while let Some(t) = ob.text.pop_front() {
                    out.push(parse_reply(&t)?);
                }
                ob.queued = 0;
            }
        }
        Ok(out)
    }

    /// Follows accepted deposits and withdrawals, for the conservation check.
    fn track_ledger(&mut self, kind: &CommandKind, outs: &[OutSlot]) -> Result<(), String> {
        let (asset, amount, sign) = match *kind {
            CommandKind::Deposit { asset, amount, .. } => (asset, amount, 1),
            CommandKind::Withdraw { asset, amount, .. } => (asset, amount, -1),
            _ => return Ok(()),
        };
        let ok = outs
            .iter()
            .any(|o| matches!(o.output, Output::Event(Event::Admin { ok: true, .. })));
        if !ok {
            return Ok(());
        }
        let dir = self.logic.engine().directory();
        let id = dir
            .asset_id(&asset)
            .ok_or_else(|| format!("accepted a {} of unknown asset {asset}", kind.op_name()))?;
        let units = amount
            .to_scale(dir.asset(id).scale)
            .ok_or_else(|| format!("accepted an inexact amount {amount:?} of {asset}"))?;
        *self.ledger.entry(id).or_insert(0) += sign * i128::from(units);
        Ok(())
    }

    fn setup_cmd(&mut self, msg: Value, ts_ns: u64) -> Result<(), String> {
        let text = msg.to_string();
        let req = decode_request(&text).map_err(|e| format!("{text}: {e}"))?;
        if !matches!(req.op, Op::Admin(_)) {
            return Err(format!("{text}: not an admin op"));
        }
        let replies = self.route(ADMIN_SID, &text, ts_ns)?;
        match replies.iter().find(|r| r["type"] == "admin") {
            Some(r) if r["ok"] == true => Ok(()),
            Some(r) => Err(format!("{text}: refused: {r}")),
            None => Err(format!("{text}: no admin reply")),
        }
    }

    /// The session of `user`, opened and logged in with its key on first use.
    fn session(&mut self, user: UserId, ts_ns: u64) -> Result<u32, String> {
        if let Some(&sid) = self.sessions.get(&user) {
            return Ok(sid);
        }
        let sid = ADMIN_SID + 1 + self.sessions.len() as u32;
        self.router.open(sid, Wire::Ws, ts_ns);
        self.sessions.insert(user, sid);
        let login = json!({"op": "login", "api_key": format!("k-{user}")});
        let r = self.route(sid, &login.to_string(), ts_ns)?;
        match r.first() {
            Some(v) if v["type"] == "login" => Ok(sid),
            other => Err(format!("user {user} cannot log in: {other:?}")),
        }
    }
}

fn parse_reply(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("reply is not JSON ({e}): {text}"))
}

impl Target for EngineTarget {
    fn setup(&mut self, sc: &Scenario, ts_ns: u64) -> Result<(), String> {
        for a in &sc.assets {
            self.setup_cmd(
                json!({"op": "add_asset", "asset": a.asset, "scale": a.scale}),
                ts_ns,
            )?;
        }
        for s in &sc.symbols {
            let mut body = s.clone();
            body.insert("op".into(), "add_symbol".into());
            self.setup_cmd(Value::Object(body), ts_ns)?;
        }
        for u in &sc.users {
            self.setup_cmd(
                json!({"op": "add_user", "user": u.user, "api_key": format!("k-{}", u.user), "role": "trader"}),
                ts_ns,
            )?;
            self.session(u.user, ts_ns)?;
            for (asset, amount) in &u.deposits {
                self.setup_cmd(
                    json!({"op": "deposit", "user": u.user, "asset": asset, "amount": amount,
                           "tx_id": format!("setup-{}-{asset}", u.user)}),
                    ts_ns,
                )?;
            }
        }
        Ok(())
    }

    fn send(&mut self, from: Sender, msg: &Value, ts_ns: u64) -> Result<Vec<Value>, String> {
        let text = msg.to_string();
        match (from, decode_request(&text)) {
            (Sender::Admin, Ok(req)) => match req.op {
                // The admin session stays the admin's.
                Op::Login { .. } => Ok(Vec::new()),
                Op::Trader(_) | Op::OpenOrders { .. } | Op::Balances { user: None } => {
                    Err(format!(
                        "scenario error: an admin step sends `{}`, which needs a trader",
                        req.op.name()
                    ))
                }
                _ => self.route(ADMIN_SID, &text, ts_ns),
            },
            (Sender::Admin, Err(_)) => self.route(ADMIN_SID, &text, ts_ns),
            (Sender::User(user), _) => {
                let sid = self.session(user, ts_ns)?;
                self.route(sid, &text, ts_ns)
            }
        }
    }

    fn check(&mut self) -> Result<(), String> {
        self.logic
            .engine()
            .check_invariants()
            .map_err(|e| e.to_string())?;
        let dir = self.logic.engine().directory();
        let mut held: BTreeMap<AssetId, i128> = BTreeMap::new();
        for u in self.logic.engine().users() {
            for (asset, b) in self.logic.engine().balances(u.user).unwrap_or_default() {
                if b.available.get() < 0 || b.locked.get() < 0 {
                    return Err(format!(
                        "negative balance: user {} {}: available {:?}, locked {:?}",
                        u.user,
                        dir.asset(asset).name,
                        b.available,
                        b.locked
                    ));
                }
                *held.entry(asset).or_insert(0) +=
                    i128::from(b.available.get()) + i128::from(b.locked.get());
            }
        }
        for (asset, units) in self.logic.engine().fees() {
            if units.get() < 0 {
                return Err(format!(
                    "negative fee account: {} {:?}",
                    dir.asset(asset).name,
                    units
                ));
            }
            *held.entry(asset).or_insert(0) += i128::from(units.get());
        }
        for (i, info) in dir.assets().iter().enumerate() {
            let id = AssetId(i as u16);
            let h = held.get(&id).copied().unwrap_or(0);
            let l = self.ledger.get(&id).copied().unwrap_or(0);
            if h != l {
                return Err(format!(
                    "conservation broken for {}: users' available + locked + fees = {h} units, \
                     deposits - withdrawals = {l} units",
                    info.name
                ));
            }
        }
        Ok(())
    }

    fn book(&mut self, symbol: &str) -> Result<BookLevels, String> {
        let dir = self.logic.engine().directory();
        let id = Name::new(symbol)
            .and_then(|n| dir.symbol_id(&n))
            .ok_or_else(|| format!("unknown symbol {symbol:?}"))?;
        let info = dir.symbol(id);
        let book = self.logic.engine().book(id, usize::MAX);
        let side = |levels: &[(engine::Ticks, engine::Lots)]| {
            levels
                .iter()
                .map(|&(p, q)| {
                    (
                        info.ticks_to_fixed(p).to_string(),
                        info.lots_to_fixed(q).to_string(),
                    )
                })
                .collect()
        };
        Ok(BookLevels {
            bids: side(&book.bids),
            asks: side(&book.asks),
        })
    }

    fn balance(&mut self, user: UserId, asset: &str) -> Result<BalanceView, String> {
        let dir = self.logic.engine().directory();
        let id = Name::new(asset)
            .and_then(|n| dir.asset_id(&n))
            .ok_or_else(|| format!("unknown asset {asset:?}"))?;
        let scale = dir.asset(id).scale;
        let b = self.logic.engine().balance(user, id).unwrap_or_default();
        Ok(BalanceView {
            available: units_to_fixed(scale, b.available).to_string(),
            locked: units_to_fixed(scale, b.locked).to_string(),
        })
    }

    fn fees(&mut self) -> Result<BTreeMap<String, String>, String> {
        let dir = self.logic.engine().directory();
        Ok(self
            .logic
            .engine()
            .fees()
            .into_iter()
            .map(|(id, units)| {
                let a = dir.asset(id);
                (
                    a.name.as_str().to_string(),
                    units_to_fixed(a.scale, units).to_string(),
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
