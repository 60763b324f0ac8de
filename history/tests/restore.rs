//! Market data rebuilt from a store (`history::restore::market_data`): the
//! window's trades, and at least the last 1,000, are fed, oldest first,
//! across pages; the tape, the ticker and the recent klines then equal
//! those of market data fed live. Against SQLite always, and PostgreSQL
//! when `RINGEX_TEST_PG_URL` is set (scripts/pg.sh).

use engine::market_data::{Interval, MarketData, Ticker};
use engine::*;
use history::{Projector, Store};

const SEC: u64 = 1_000_000_000;
const DAY: u64 = 86_400 * SEC;
/// 2024-01-01, a Monday.
const T0: u64 = 1_704_067_200 * SEC;

fn n(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn place(user: UserId, sym: &str, side: Side, price: i64) -> CommandKind {
    CommandKind::Place(Place {
        user,
        symbol: n(sym),
        side,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(Fixed::new(price, 0)),
        qty: Fixed::new(1, 3),
        stop_price: None,
        display_qty: None,
        post_only: false,
        stp: Stp::None,
        client_order_id: None,
    })
}

fn setup() -> Vec<CommandKind> {
    let mut k = vec![
        CommandKind::AddAsset {
            asset: n("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: n("USD"),
            scale: 6,
        },
    ];
    for sym in ["BTC-USD", "OLD-USD"] {
        k.push(CommandKind::AddSymbol(SymbolSpec {
            symbol: n(sym),
            base: n("BTC"),
            quote: n("USD"),
            tick_size: Fixed::new(1, 0),
            lot_size: Fixed::new(1, 3),
            min_qty: Fixed::new(1, 3),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        }));
    }
    for u in 1..=2 {
        k.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&format!("k{u}")),
            role: Role::Trader,
        });
        for (a, amt) in [("USD", 1_000_000_000), ("BTC", 100_000)] {
            k.push(CommandKind::Deposit {
                user: u,
                asset: n(a),
                amount: Fixed::new(amt, 0),
                tx_id: TxId::new(&format!("dep-{u}-{a}")).unwrap(),
            });
        }
    }
    k
}

/// Runs `(ts, kind)` through an engine, a live market data and the store.
struct Day {
    engine: Engine,
    md: MarketData,
    projector: Projector,
    seq: u64,
    events: Vec<Event>,
}

impl Day {
    fn new() -> Day {
        let engine = Engine::new(EngineLimits::default());
        Day {
            projector: Projector::new(engine.directory().clone()),
            md: MarketData::new(),
            engine,
            seq: 0,
            events: Vec::new(),
        }
    }

    fn cmd(&mut self, ts_ns: u64, kind: CommandKind) {
        self.seq += 1;
        let cmd = Command {
            seq: self.seq,
            ts_ns,
            kind,
        };
        self.events.clear();
        self.engine.apply(&cmd, &mut self.events).unwrap();
        self.md.sync_symbols(self.engine.directory());
        self.md
            .apply(cmd.seq, &self.events, &mut Vec::new())
            .unwrap();
        self.projector.apply(&cmd, &self.events);
    }

    /// A trade of 0.001 at `price` in `sym`.
    fn trade(&mut self, ts_ns: u64, sym: &str, price: i64) {
        self.cmd(ts_ns, place(1, sym, Side::Sell, price));
        self.cmd(ts_ns, place(2, sym, Side::Buy, price));
    }

    fn store_into(&mut self, store: &mut dyn Store) {
        self.projector.with_batch(|b| store.apply(b)).unwrap();
    }
}

fn backends(dir: &std::path::Path, tag: &str) -> Vec<String> {
    let mut v = vec![dir.join(format!("{tag}.sqlite")).display().to_string()];
    v.extend(history::testing::pg_fresh(tag));
    v
}

#[test]
fn the_window_and_the_last_thousand_trades_are_fed_and_match_live() {
    let t = tempfile::tempdir().unwrap();
    for url in backends(t.path(), "restore") {
        let mut store = history::open(&url).unwrap();
        let mut d = Day::new();
        for k in setup() {
            d.cmd(T0, k);
        }
        // BTC-USD: 300 trades four years ago (outside the window), then
        // 1,200 in the last days. OLD-USD: 40 trades, all four years ago.
        let old = T0;
        let recent = T0 + 4 * 365 * DAY;
        for i in 0..300 {
            d.trade(old + i * 60 * SEC, "BTC-USD", 100 + (i as i64 % 10));
        }
        for i in 0..40 {
            d.trade(old + (i + 1) * DAY, "OLD-USD", 50 + i as i64);
        }
        for i in 0..1_200 {
            d.trade(recent + i * 90 * SEC, "BTC-USD", 200 + (i as i64 * 7) % 50);
        }
        d.store_into(store.as_mut());
        let now = d.engine.last_ts_ns() + 10 * SEC;

        let mut back = MarketData::from_engine(&d.engine);
        let done =
            history::restore::market_data(store.as_mut(), &mut back, d.engine.directory(), now)
                .unwrap();
        assert_eq!(done.symbols, 2, "{url}");
        // BTC-USD: the window only (more than the tape keeps); OLD-USD: all
        // of it, being fewer than the tape keeps.
        assert_eq!(done.trades, 1_200 + 40, "{url}");
        let mut tick = Vec::new();
        back.tick(now, &mut tick);
        d.md.tick(now, &mut tick);
        back.check_invariants().unwrap();
        for sym in [n("BTC-USD"), n("OLD-USD")] {
            let id = d.engine.directory().symbol_id(&sym).unwrap();
            assert_eq!(
                back.recent_trades(id, usize::MAX),
                d.md.recent_trades(id, usize::MAX),
                "{url} {sym}"
            );
            let no_ts = |t: Option<Ticker>| t.map(|t| Ticker { ts_ns: 0, ..t });
            assert_eq!(
                no_ts(back.ticker(id)),
                no_ts(d.md.ticker(id)),
                "{url} {sym}"
            );
            // Klines of the window (BTC-USD's four-year-old ones are not
            // rebuilt: they are older than 156 weeks).
            for iv in Interval::ALL {
                let recent_only = |md: &MarketData| {
                    let mut k = md.klines(id, iv, usize::MAX).unwrap();
                    if sym == n("BTC-USD") {
                        k.retain(|k| k.close_time_ns >= recent);
                    }
                    k
                };
                assert_eq!(
                    recent_only(&back),
                    recent_only(&d.md),
                    "{url} {sym} {}",
                    iv.as_str()
                );
            }
        }
        // The last trade's price is back (the ticker's `last` was null
        // before this rebuild existed).
        let btc = d.engine.directory().symbol_id(&n("BTC-USD")).unwrap();
        assert!(back.ticker(btc).unwrap().last.is_some());
    }
}
