//! The stores against the in-memory reference, on a small hand-made day:
//! every kind of row, idempotence, and the queries' answers and refusals.

use engine::*;
use history::queries::{self, Caller, HistoryFilter, OrderKey, QueryError};
use history::{Batch, MemoryStore, Projector, Store};

fn n(s: &str) -> Name {
    Name::new(s).unwrap()
}

fn place(user: UserId, side: Side, price: i64, qty: i64, clid: Option<&str>) -> CommandKind {
    CommandKind::Place(Place {
        user,
        symbol: n("BTC-USD"),
        side,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(Fixed::new(price, 0)),
        qty: Fixed::new(qty, 3),
        stop_price: None,
        display_qty: None,
        post_only: false,
        stp: Stp::None,
        client_order_id: clid.map(|c| ClOrdId::new(c).unwrap()),
    })
}

/// A day with every kind of row: assets, a symbol, users, deposits, a
/// withdrawal (and a refused one), resting orders, a trade, a cancel, an
/// amend, rejected places (unknown symbol, insufficient funds).
fn day() -> Vec<Command> {
    let mut k = vec![
        CommandKind::AddAsset {
            asset: n("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: n("USD"),
            scale: 6,
        },
        CommandKind::AddSymbol(SymbolSpec {
            symbol: n("BTC-USD"),
            base: n("BTC"),
            quote: n("USD"),
            tick_size: Fixed::new(1, 0),
            lot_size: Fixed::new(1, 3),
            min_qty: Fixed::new(1, 3),
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        }),
    ];
    for u in 1..=3 {
        k.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key("k"),
            role: Role::Trader,
        });
        for (a, amt) in [("USD", 1_000_000), ("BTC", 10)] {
            k.push(CommandKind::Deposit {
                user: u,
                asset: n(a),
                amount: Fixed::new(amt, 0),
                tx_id: TxId::new(&format!("dep-{u}-{a}")).unwrap(),
            });
        }
    }
    k.push(CommandKind::Withdraw {
        user: 3,
        asset: n("USD"),
        amount: Fixed::new(5, 0),
        tx_id: TxId::new("wd-1").unwrap(),
    });
    k.push(CommandKind::Withdraw {
        user: 3,
        asset: n("USD"),
        amount: Fixed::new(5_000_000, 0),
        tx_id: TxId::new("wd-2").unwrap(),
    });
    k.push(place(1, Side::Sell, 30_000, 1_500, Some("s1")));
    k.push(place(1, Side::Sell, 30_010, 1_000, Some("s2")));
    k.push(place(2, Side::Buy, 30_000, 1_000, Some("b1")));
    k.push(CommandKind::Cancel {
        user: 1,
        symbol: n("BTC-USD"),
        target: OrderRef::Client(ClOrdId::new("s2").unwrap()),
    });
    k.push(CommandKind::Amend {
        user: 1,
        symbol: n("BTC-USD"),
        target: OrderRef::Id(1),
        price: Some(Fixed::new(30_005, 0)),
        qty: None,
    });
    let mut bad = place(2, Side::Buy, 30_000, 1, None);
    if let CommandKind::Place(p) = &mut bad {
        p.symbol = n("ETH-USD");
    }
    k.push(bad);
    k.push(place(3, Side::Buy, 29_000, 999_000, Some("big")));
    k.push(place(2, Side::Buy, 30_005, 200, Some("b2")));
    k.into_iter()
        .enumerate()
        .map(|(i, kind)| Command {
            seq: i as u64 + 1,
            ts_ns: 1_000 + i as u64,
            kind,
        })
        .collect()
}

/// The day's batches, `per` inputs each.
fn batches(per: usize) -> (Vec<Batch>, Engine) {
    let mut e = Engine::new(EngineLimits::default());
    let mut p = Projector::new(Directory::default());
    let mut out = Vec::new();
    let mut spare = Batch::default();
    let mut ev = Vec::new();
    for c in day() {
        ev.clear();
        e.apply(&c, &mut ev).unwrap();
        p.apply(&c, &ev);
        if p.batch().commands as usize >= per {
            out.push(p.take_batch(&mut spare));
        }
    }
    out.push(p.take_batch(&mut spare));
    (out, e)
}

fn reference() -> history::Rows {
    let mut m = MemoryStore::default();
    for b in batches(1000).0 {
        m.apply(&b);
    }
    m.rows()
}

#[test]
fn the_projection_sees_every_kind_of_row() {
    let r = reference();
    assert_eq!(r.assets.len(), 2);
    assert_eq!(r.symbols.len(), 1);
    assert_eq!(
        r.transfers.len(),
        7,
        "6 deposits and 1 accepted withdrawal: {:?}",
        r.transfers
    );
    assert!(r
        .transfers
        .iter()
        .any(|t| t.kind == "withdrawal" && t.amount == 5_000_000));
    assert_eq!(r.trades.len(), 2, "{:?}", r.trades);
    let t = r.trades[0];
    assert_eq!(
        (t.maker_user, t.taker_user, t.taker_side, t.qty, t.price),
        (1, 2, "buy", 1_000, 30_000)
    );
    assert_eq!(t.base_amount, 100_000_000);
    assert_eq!(t.quote_amount, 30_000_000_000);
    assert_eq!((t.maker_fee, t.taker_fee), (30_000_000, 200_000));
    let rejected: Vec<_> = r.orders.iter().filter(|o| o.status == "rejected").collect();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert!(rejected
        .iter()
        .any(|o| o.reason == Some("unknown_symbol") && o.symbol.as_str() == "ETH-USD"));
    assert!(rejected
        .iter()
        .any(|o| o.reason == Some("insufficient_funds")));
    let s2 = r
        .orders
        .iter()
        .find(|o| o.client_order_id.map(|c| c.as_str().to_string()) == Some("s2".into()))
        .unwrap();
    assert_eq!((s2.status, s2.reason), ("canceled", Some("user_canceled")));
    let s1 = r.orders.iter().find(|o| o.order_id == 1).unwrap();
    assert_eq!(
        (s1.status, s1.filled_qty, s1.created_seq, s1.price),
        ("partially_filled", 1_200, 15, Some(30_005))
    );
    assert!(s1.updated_seq > s1.created_seq);
}

#[test]
fn batching_does_not_change_the_rows() {
    let want = reference();
    for per in [1, 2, 3, 7] {
        let mut m = MemoryStore::default();
        for b in batches(per).0 {
            m.apply(&b);
        }
        assert_eq!(m.rows().first_difference(&want), None, "batches of {per}");
    }
}

fn check_store(store: &mut dyn Store) {
    let want = reference();
    let (bs, engine) = batches(3);
    for b in &bs {
        store.apply(b).unwrap();
    }
    assert_eq!(store.rows().unwrap().first_difference(&want), None);
    assert_eq!(store.progress().unwrap(), engine.last_seq());
    // Every batch again, and in reverse order: nothing changes.
    for b in bs.iter().chain(bs.iter().rev()) {
        store.apply(b).unwrap();
    }
    assert_eq!(store.rows().unwrap().first_difference(&want), None);
    assert_eq!(store.progress().unwrap(), engine.last_seq());
    check_queries(store);
}

fn check_queries(s: &mut dyn Store) {
    let u1 = Caller::User(1);
    let u2 = Caller::User(2);
    // By id and by client order id; another user's order is unknown.
    assert_eq!(queries::order(s, u1, OrderKey::Id(1)).unwrap().user, 1);
    assert_eq!(
        queries::order(s, u2, OrderKey::Id(1)),
        Err(QueryError::UnknownOrder)
    );
    assert_eq!(
        queries::order(s, u1, OrderKey::Id(999)),
        Err(QueryError::UnknownOrder)
    );
    assert_eq!(
        queries::order(s, u1, OrderKey::Id(u64::MAX)),
        Err(QueryError::UnknownOrder)
    );
    assert_eq!(
        queries::order(s, Caller::Admin, OrderKey::Id(1))
            .unwrap()
            .order_id,
        1
    );
    let s2 = ClOrdId::new("s2").unwrap();
    assert_eq!(
        queries::order(s, u1, OrderKey::Client(s2)).unwrap().status,
        "canceled"
    );
    assert_eq!(
        queries::order(s, u2, OrderKey::Client(s2)),
        Err(QueryError::UnknownOrder)
    );
    // Limits.
    for bad in [0, 1_001, 1_000_000_000] {
        assert!(matches!(
            queries::order_history(s, u1, &HistoryFilter::default(), bad),
            Err(QueryError::BadLimit(_))
        ));
        assert!(matches!(
            queries::my_trades(s, u1, None, None, bad),
            Err(QueryError::BadLimit(_))
        ));
        assert!(matches!(
            queries::transfers(s, u1, None, bad),
            Err(QueryError::BadLimit(_))
        ));
        assert!(matches!(
            queries::executions(s, n("BTC-USD"), None, bad),
            Err(QueryError::BadLimit(_))
        ));
    }
    assert!(matches!(
        queries::parse_limit(Some("abc")),
        Err(QueryError::BadLimit(_))
    ));
    assert!(matches!(
        queries::parse_limit(Some("-1")),
        Err(QueryError::BadLimit(_))
    ));
    assert_eq!(queries::parse_limit(Some("1000")), Ok(1000));
    for bad in ["", "x", "-3", "0", "1.5", "+4", "99999999999999999999"] {
        assert!(
            matches!(queries::parse_id(bad), Err(QueryError::BadCursor(_))),
            "{bad:?}"
        );
    }
    assert!(matches!(
        queries::parse_symbol("BTC USD"),
        Err(QueryError::BadSymbol(_))
    ));
    let f = HistoryFilter {
        from_ts: Some(9),
        to_ts: Some(3),
        ..Default::default()
    };
    assert_eq!(
        queries::order_history(s, u1, &f, 10),
        Err(QueryError::BadRange)
    );
    // History: closed orders only, own only, newest first, paginated.
    let h2 = queries::order_history(s, u2, &HistoryFilter::default(), 1000).unwrap();
    assert!(h2
        .iter()
        .all(|o| o.user == 2 && history::CLOSED.contains(&o.status)));
    assert!(h2.windows(2).all(|w| w[0].order_id > w[1].order_id));
    assert!(h2.len() >= 2, "{h2:?}");
    let p1 = queries::order_history(s, u2, &HistoryFilter::default(), 1).unwrap();
    let f = HistoryFilter {
        before_order_id: Some(p1[0].order_id),
        ..Default::default()
    };
    let p2 = queries::order_history(s, u2, &f, 1000).unwrap();
    assert_eq!([p1, p2].concat(), h2);
    // Trades: both sides see a trade, the third user none.
    assert_eq!(queries::my_trades(s, u1, None, None, 10).unwrap().len(), 2);
    assert_eq!(
        queries::my_trades(s, u2, Some(n("BTC-USD")), None, 10)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        queries::my_trades(s, u2, None, Some(2), 10).unwrap().len(),
        1
    );
    assert!(queries::my_trades(s, Caller::User(3), None, None, 10)
        .unwrap()
        .is_empty());
    // Transfers: own only.
    let t3 = queries::transfers(s, Caller::User(3), None, 10).unwrap();
    assert_eq!(t3.len(), 3);
    assert!(t3.iter().all(|t| t.user == 3));
    assert_eq!(
        queries::transfers(s, Caller::User(3), Some(t3[0].seq), 10).unwrap(),
        t3[1..]
    );
    assert!(queries::transfers(s, Caller::User(77), None, 10)
        .unwrap()
        .is_empty());
    // Public executions: newest first, before a trade id.
    let ex = queries::executions(s, n("BTC-USD"), None, 10).unwrap();
    assert_eq!(ex.iter().map(|t| t.trade_id).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(
        queries::executions(s, n("BTC-USD"), Some(2), 10)
            .unwrap()
            .len(),
        1
    );
    assert!(queries::executions(s, n("ETH-USD"), None, 10)
        .unwrap()
        .is_empty());
}

#[test]
fn sqlite_equals_the_reference_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let mut s = history::open(path.to_str().unwrap()).unwrap();
    assert_eq!(s.backend(), "sqlite");
    check_store(s.as_mut());
    drop(s);
    // Reopening finds the same rows and does not migrate again.
    let mut s = history::open(&format!("sqlite:{}", path.display())).unwrap();
    assert_eq!(s.rows().unwrap().first_difference(&reference()), None);
}

#[test]
fn postgres_equals_the_reference_and_is_idempotent() {
    let Some(url) = history::testing::pg_fresh("store") else {
        return;
    };
    let mut s = history::open(&url).unwrap();
    assert_eq!(s.backend(), "postgres");
    check_store(s.as_mut());
    drop(s);
    let mut s = history::open(&url).unwrap();
    assert_eq!(s.rows().unwrap().first_difference(&reference()), None);
}

/// The server's path: the business logic publishes each input before its
/// events, the feed pairs them for the writer; queries and balance pushes
/// in between change nothing. The store ends equal to the reference.
#[test]
fn the_feed_pairs_inputs_with_their_events_off_the_stream() {
    use pipeline::{Consumer, InSlot, Input, Query};
    let dir = tempfile::tempdir().unwrap();
    let store = history::open(dir.path().join("h.sqlite").to_str().unwrap()).unwrap();
    let mut cfg = history::WriterConfig::new(dir.path());
    cfg.start_seq = Some(0);
    let mut feed = history::Feed::new(history::Writer::spawn(store, cfg));
    let mut logic =
        pipeline::logic::InProcess::new(Engine::new(EngineLimits::default())).publish_inputs(true);
    for (i, c) in day().into_iter().enumerate() {
        let mut slots = logic
            .handle(&InSlot {
                input: Input::Command(c),
                session: 1,
                ..InSlot::default()
            })
            .unwrap();
        if i % 3 == 0 {
            slots.extend(
                logic
                    .handle(&InSlot {
                        input: Input::Query(Query::Balances { user: 1 }),
                        session: 1,
                        ..InSlot::default()
                    })
                    .unwrap(),
            );
        }
        let n = slots.len();
        for (j, s) in slots.iter().enumerate() {
            feed.on_output(s, j + 1 == n);
        }
    }
    let stats = feed.writer().stats().clone();
    feed.stop().unwrap();
    assert_eq!(
        stats.catch_ups.load(std::sync::atomic::Ordering::Acquire),
        1
    );
    assert_eq!(stats.dropped.load(std::sync::atomic::Ordering::Acquire), 0);
    let mut store = history::open(dir.path().join("h.sqlite").to_str().unwrap()).unwrap();
    assert_eq!(store.progress().unwrap(), day().len() as u64);
    assert_eq!(store.rows().unwrap(), reference());
}
