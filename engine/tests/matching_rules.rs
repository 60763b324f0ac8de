//! Every rule of matching.md, asserted on the engine alone (no ../shared needed).
mod common;
use common::*;
use engine::ExecType::*;
use engine::*;
use Side::*;

#[test]
fn resting_orders_build_the_book_and_lock_funds() {
    let mut m = Sim::standard(3, None);
    assert_eq!(kinds(&m.limit(1, Buy, "100", "1")), vec![(New, 1)]);
    m.limit(2, Sell, "101", "2");
    m.limit(1, Buy, "99", "0.5");
    m.limit(2, Sell, "101", "1");
    assert_eq!(
        m.book(SYM),
        (vec![s("100", "1"), s("99", "0.5")], vec![s("101", "3")])
    );
    assert_eq!(m.bal(1, "USD"), s("99850.5", "149.5"));
    assert_eq!(m.bal(2, "BTC"), s("7", "3"));
}

#[test]
fn sweep_in_price_time_priority_at_maker_prices_with_floored_fees() {
    let mut m = Sim::standard(3, None);
    m.limit(2, Sell, "101", "1");
    m.limit(3, Sell, "100", "1");
    m.limit(2, Sell, "100", "2");
    let r = m.limit(1, Buy, "101", "3.5");
    assert_eq!(
        kinds(&r),
        vec![
            (New, 4),
            (Trade, 2),
            (Trade, 4),
            (Trade, 3),
            (Trade, 4),
            (Trade, 1),
            (Trade, 4)
        ]
    );
    let f = r[6].fill.unwrap();
    assert_eq!((f.trade_id, f.liquidity), (3, Liquidity::Taker));
    assert_eq!(r[6].status, OrderStatus::Filled);
    assert_eq!(r[5].status, OrderStatus::PartiallyFilled);
    assert_eq!(m.book(SYM), (vec![], vec![s("101", "0.5")]));
    assert_eq!(m.bal(1, "USD"), s("99649.5", "0"));
    assert_eq!(m.bal(1, "BTC"), s("13.493", "0"));
    assert_eq!(m.bal(2, "USD"), s("100250.2495", "0"));
    assert_eq!(m.fee("USD"), "0.3505");
    assert_eq!(m.fee("BTC"), "0.007");
}

#[test]
fn ioc_cancels_remainder_and_fok_is_all_or_nothing() {
    let mut m = Sim::standard(3, None);
    m.limit(2, Sell, "100", "1");
    m.limit(2, Sell, "102", "1");
    let r = m.place(Place {
        tif: Tif::Ioc,
        ..limit(1, Buy, "101", "2")
    });
    assert_eq!(
        kinds(&r),
        vec![(New, 3), (Trade, 1), (Trade, 3), (Canceled, 3)]
    );
    assert_eq!(r[3].reason, Some(Reason::IocRemainder));
    let r = m.place(Place {
        tif: Tif::Fok,
        ..limit(1, Buy, "102", "2")
    });
    assert_eq!(kinds(&r), vec![(New, 4), (Canceled, 4)]);
    assert_eq!(r[1].reason, Some(Reason::FokUnfillable));
    m.limit(3, Sell, "102", "1");
    let r = m.place(Place {
        tif: Tif::Fok,
        ..limit(1, Buy, "102", "2")
    });
    assert_eq!(
        kinds(&r),
        vec![(New, 6), (Trade, 2), (Trade, 6), (Trade, 5), (Trade, 6)]
    );
    assert_eq!(m.bal(1, "USD"), s("99696", "0"));
}

#[test]
fn fok_counts_iceberg_reserve_and_skips_own_orders_under_stp() {
    let mut m = Sim::standard(3, None);
    m.place(Place {
        display_qty: Some(fx("1")),
        ..limit(2, Sell, "100", "3")
    });
    let r = m.place(Place {
        tif: Tif::Fok,
        ..limit(1, Buy, "100", "3")
    });
    assert_eq!(r.last().unwrap().status, OrderStatus::Filled);
    // Own order first in the queue; cancel_maker: it is not counted but removed.
    m.limit(1, Sell, "100", "1");
    m.limit(2, Sell, "100", "1");
    let r = m.place(Place {
        tif: Tif::Fok,
        stp: Stp::CancelMaker,
        ..limit(1, Buy, "100", "2")
    });
    assert_eq!(r.last().unwrap().reason, Some(Reason::FokUnfillable));
    let r = m.place(Place {
        tif: Tif::Fok,
        stp: Stp::CancelMaker,
        ..limit(1, Buy, "100", "1")
    });
    assert_eq!(
        kinds(&r),
        vec![(New, 6), (Canceled, 3), (Trade, 4), (Trade, 6)]
    );
}

#[test]
fn market_orders_sweep_then_cancel_remainder() {
    let mut m = Sim::standard(3, None);
    m.limit(2, Sell, "100", "1");
    m.limit(3, Sell, "101", "1");
    let r = m.place(market(1, Buy, "3"));
    assert_eq!(
        kinds(&r),
        vec![
            (New, 3),
            (Trade, 1),
            (Trade, 3),
            (Trade, 2),
            (Trade, 3),
            (Canceled, 3)
        ]
    );
    assert_eq!(r[5].reason, Some(Reason::IocRemainder));
    let r = m.place(market(1, Sell, "1"));
    assert_eq!(kinds(&r), vec![(New, 4), (Canceled, 4)]);
    assert_eq!(m.bal(1, "USD"), s("99799", "0"));
    assert_eq!(m.bal(1, "BTC"), s("11.996", "0"));
}

#[test]
fn market_buy_is_limited_by_available_quote() {
    let mut m = Sim::standard(3, None);
    m.add_user(4);
    m.deposit(4, "USD", "100");
    m.limit(2, Sell, "40", "1");
    m.limit(2, Sell, "50", "2");
    let r = m.place(market(4, Buy, "3"));
    assert_eq!(
        kinds(&r),
        vec![
            (New, 3),
            (Trade, 1),
            (Trade, 3),
            (Trade, 2),
            (Trade, 3),
            (Canceled, 3)
        ]
    );
    assert_eq!(r[3].fill.unwrap().qty, Lots::new(12000));
    assert_eq!(r[5].reason, Some(Reason::InsufficientFunds));
    assert_eq!(m.bal(4, "USD"), s("0", "0"));
    assert_eq!(m.bal(4, "BTC"), s("2.1956", "0"));
}

#[test]
fn post_only_and_cancel_by_either_id_never_reveal_other_users_orders() {
    let mut m = Sim::standard(3, None);
    m.limit(2, Sell, "101", "1");
    let r = m.place(Place {
        post_only: true,
        ..limit(1, Buy, "101", "1")
    });
    assert_eq!(r[1].reason, Some(Reason::PostOnlyWouldCross));
    m.place(Place {
        post_only: true,
        client_order_id: ClOrdId::new("bid-1"),
        ..limit(1, Buy, "100", "1")
    });
    let ev = m.cmd(CommandKind::Cancel {
        user: 1,
        symbol: name(SYM),
        target: OrderRef::Client(ClOrdId::new("bid-1").unwrap()),
    });
    assert_eq!(exec(ev[0]).reason, Some(Reason::UserCanceled));
    for (u, id) in [(1, 3), (2, 999), (1, 1)] {
        let ev = m.cancel(u, id);
        assert!(
            matches!(
                ev[0],
                Event::Reject {
                    reason: Reason::UnknownOrder,
                    op: RejectOp::Cancel,
                    ..
                }
            ),
            "{ev:?}"
        );
    }
    assert_eq!(m.bal(1, "USD"), s("100000", "0"));
}

#[test]
fn amend_keeps_priority_only_for_same_price_without_growth() {
    let mut m = Sim::standard(3, None);
    m.limit(2, Sell, "100", "1");
    m.limit(3, Sell, "100", "1");
    let ev = m.amend(2, 1, None, Some("0.5"));
    assert_eq!(exec(ev[0]).exec_type, Replaced);
    let r = m.limit(1, Buy, "100", "0.5");
    assert_eq!(r[1].order_id, 1, "reduced order kept its place");
    m.limit(2, Sell, "100", "1");
    m.amend(3, 2, None, Some("2"));
    let r = m.limit(1, Buy, "100", "1");
    assert_eq!(r[1].order_id, 4, "grown order went to the back");
    assert_eq!(m.book(SYM).1, vec![s("100", "2")]);
}

#[test]
fn amend_to_crossing_price_matches_as_incoming() {
    let mut m = Sim::standard(3, None);
    m.limit(1, Buy, "99", "1");
    m.limit(2, Sell, "101", "1");
    let ev: Vec<ExecReport> = m
        .amend(2, 2, Some("99"), None)
        .into_iter()
        .map(exec)
        .collect();
    assert_eq!(kinds(&ev), vec![(Replaced, 2), (Trade, 1), (Trade, 2)]);
    assert_eq!(ev[2].fill.unwrap().liquidity, Liquidity::Taker);
    assert_eq!(m.bal(2, "USD"), s("100098.802", "0"));
}

#[test]
fn amend_rules_iceberg_reserve_stops_band_halt_funds() {
    let mut m = Sim::standard(3, Some("10"));
    m.limit(2, Sell, "100", "1");
    m.limit(1, Buy, "100", "1"); // last = 100
    m.place(Place {
        display_qty: Some(fx("1")),
        ..limit(2, Sell, "105", "3")
    }); // 3
    m.limit(3, Sell, "105", "1"); // 4
                                  // Reduce 3 -> 2: comes out of the reserve, keeps place, visible unchanged.
    m.amend(2, 3, None, Some("2"));
    assert_eq!(m.book(SYM).1, vec![s("105", "2")]);
    let r = m.limit(1, Buy, "105", "0.5");
    assert_eq!(r[1].order_id, 3);
    // Out of band, stop unsupported, invalid qty (not above filled), halt.
    let rej = |ev: Vec<Event>| match ev[0] {
        Event::Reject { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    // last is 105 now: a sell may not go below 94.5.
    assert_eq!(rej(m.amend(2, 3, Some("94"), None)), Reason::PriceOutOfBand);
    assert_eq!(rej(m.amend(2, 3, None, Some("0.5"))), Reason::InvalidQty);
    m.place(Place {
        order_type: OrderType::StopMarket,
        price: None,
        stop_price: Some(fx("90")),
        ..limit(2, Sell, "1", "1")
    });
    assert_eq!(rej(m.amend(2, 6, Some("91"), None)), Reason::Unsupported);
    assert_eq!(rej(m.amend(1, 3, Some("104"), None)), Reason::UnknownOrder);
    m.add_user(9);
    m.deposit(9, "USD", "100");
    m.limit(9, Buy, "99", "1");
    assert_eq!(
        rej(m.amend(9, 7, Some("101"), None)),
        Reason::InsufficientFunds
    );
    m.cmd(CommandKind::Halt { symbol: name(SYM) });
    assert_eq!(rej(m.amend(2, 3, None, Some("1"))), Reason::MarketHalted);
    assert_eq!(exec(m.cancel(2, 3)[0]).reason, Some(Reason::UserCanceled));
}

#[test]
fn iceberg_shows_one_slice_and_requeues_at_the_back() {
    let mut m = Sim::standard(3, None);
    m.place(Place {
        display_qty: Some(fx("1")),
        ..limit(2, Sell, "100", "3")
    });
    m.limit(3, Sell, "100", "1");
    assert_eq!(m.book(SYM).1, vec![s("100", "2")]);
    let r = m.limit(1, Buy, "100", "2.5");
    assert_eq!(
        kinds(&r),
        vec![
            (New, 3),
            (Trade, 1),
            (Trade, 3),
            (Trade, 2),
            (Trade, 3),
            (Trade, 1),
            (Trade, 3)
        ]
    );
    assert_eq!(m.book(SYM).1, vec![s("100", "0.5")]);
    assert_eq!(m.bal(2, "BTC"), s("7", "1.5"));
}

#[test]
fn stops_wait_trigger_after_matching_and_refuse_when_already_true() {
    let mut m = Sim::standard(3, None);
    m.limit(2, Sell, "100", "1");
    m.limit(2, Sell, "105", "1");
    let stop = Place {
        order_type: OrderType::StopLimit,
        stop_price: Some(fx("100")),
        ..limit(3, Buy, "105", "1")
    };
    assert_eq!(kinds(&m.place(stop)), vec![(New, 3)]);
    assert_eq!(m.bal(3, "USD"), s("99895", "105"));
    let r = m.limit(1, Buy, "100", "1");
    assert_eq!(
        kinds(&r),
        vec![
            (New, 4),
            (Trade, 1),
            (Trade, 4),
            (Triggered, 3),
            (Trade, 2),
            (Trade, 3)
        ]
    );
    let r = m.place(Place {
        order_type: OrderType::StopMarket,
        price: None,
        stop_price: Some(fx("106")),
        ..limit(3, Sell, "1", "1")
    });
    assert_eq!(r[0].reason, Some(Reason::StopWouldTrigger));
}

#[test]
fn stop_cascade_triggers_oldest_first_and_repeats() {
    let mut m = Sim::standard(4, None);
    // Bids a seller cascade walks down.
    m.limit(1, Buy, "100", "1"); // 1
    m.limit(1, Buy, "98", "1"); // 2
    m.limit(1, Buy, "95", "1"); // 3
    let sm = |u, sp: &str| Place {
        order_type: OrderType::StopMarket,
        price: None,
        stop_price: Some(fx(sp)),
        ..limit(u, Sell, "1", "1")
    };
    m.place(sm(3, "97")); // 4: triggers when last <= 97
    m.place(sm(2, "99")); // 5: triggers when last <= 99
    m.place(sm(4, "99")); // 6: same trigger, later id
                          // A sell at 98 trades 100 then 98: last 98 triggers 5 and 6 (oldest first).
    let r = m.place(Place {
        tif: Tif::Ioc,
        ..limit(3, Sell, "98", "2")
    });
    let k = kinds(&r);
    assert_eq!(
        &k[..5],
        &[(New, 7), (Trade, 1), (Trade, 7), (Trade, 2), (Trade, 7)]
    );
    // 5 sells into 95 (last 95 triggers 4), 6 finds nothing.
    assert_eq!(
        &k[5..],
        &[
            (Triggered, 5),
            (Trade, 3),
            (Trade, 5),
            (Triggered, 6),
            (Canceled, 6),
            (Triggered, 4),
            (Canceled, 4)
        ]
    );
    assert_eq!(m.e.open_order_count(), 0);
}

#[test]
fn self_trade_prevention_modes() {
    let mut m = Sim::standard(3, None);
    m.limit(1, Sell, "100", "1");
    m.limit(2, Sell, "100", "1");
    let r = m.place(Place {
        stp: Stp::CancelTaker,
        ..limit(1, Buy, "100", "2")
    });
    assert_eq!(kinds(&r), vec![(New, 3), (Canceled, 3)]);
    assert_eq!(r[1].reason, Some(Reason::SelfTradePrevented));
    let r = m.place(Place {
        stp: Stp::CancelMaker,
        ..limit(1, Buy, "100", "2")
    });
    assert_eq!(
        kinds(&r),
        vec![(New, 4), (Canceled, 1), (Trade, 2), (Trade, 4)]
    );
    let r = m.place(Place {
        stp: Stp::CancelBoth,
        ..limit(1, Sell, "100", "1")
    });
    assert_eq!(kinds(&r), vec![(New, 5), (Canceled, 4), (Canceled, 5)]);
    // stp none trades with itself.
    m.limit(1, Sell, "100", "1");
    let r = m.limit(1, Buy, "100", "1");
    assert_eq!(kinds(&r), vec![(New, 7), (Trade, 6), (Trade, 7)]);
}

#[test]
fn validation_order_and_ids_consumed_by_rejects() {
    let mut m = Sim::standard(3, None);
    m.add_user(4);
    m.deposit(4, "USD", "100");
    let reason = |r: Vec<ExecReport>| (r[0].order_id, r[0].reason);
    assert_eq!(
        reason(m.limit(4, Buy, "100", "1.5")),
        (1, Some(Reason::InsufficientFunds))
    );
    assert_eq!(
        reason(m.limit(4, Sell, "100", "1")),
        (2, Some(Reason::InsufficientFunds))
    );
    m.limit(4, Buy, "100", "1");
    assert_eq!(
        reason(m.limit(4, Buy, "1", "0.0001")),
        (4, Some(Reason::InsufficientFunds))
    );
    assert_eq!(
        reason(m.limit(1, Buy, "100", "0.00005")),
        (5, Some(Reason::InvalidQty))
    );
    assert_eq!(
        reason(m.limit(1, Buy, "100.005", "1")),
        (6, Some(Reason::InvalidPrice))
    );
    assert_eq!(
        reason(m.place(Place {
            symbol: name("XYZ-USD"),
            ..limit(1, Buy, "100", "1")
        })),
        (7, Some(Reason::UnknownSymbol))
    );
    assert_eq!(
        reason(m.limit(1, Buy, "100", "0")),
        (8, Some(Reason::InvalidQty))
    );
    assert_eq!(
        reason(m.limit(99, Buy, "100", "1")),
        (9, Some(Reason::UnknownUser))
    );
    let bad_combo = Place {
        post_only: true,
        tif: Tif::Ioc,
        ..limit(1, Buy, "100", "1")
    };
    assert_eq!(reason(m.place(bad_combo)), (10, Some(Reason::Unsupported)));
    let bad_display = Place {
        display_qty: Some(fx("2")),
        ..limit(1, Buy, "100", "1")
    };
    assert_eq!(reason(m.place(bad_display)), (11, Some(Reason::InvalidQty)));
}

#[test]
fn client_order_id_reserved_while_open_and_for_the_last_1024_orders() {
    let mut m = Sim::standard(2, None);
    let with = |p: Place, c: &str| Place {
        client_order_id: ClOrdId::new(c),
        ..p
    };
    m.place(with(limit(1, Buy, "90", "0.0001"), "x"));
    let r = m.place(with(limit(1, Buy, "91", "0.0001"), "x"));
    assert_eq!(r[0].reason, Some(Reason::DuplicateClientOrderId));
    // Another user may use the same id.
    assert_eq!(
        m.place(with(limit(2, Buy, "91", "0.0001"), "x"))[0].exec_type,
        New
    );
    m.cmd(CommandKind::Cancel {
        user: 1,
        symbol: name(SYM),
        target: OrderRef::Client(ClOrdId::new("x").unwrap()),
    });
    // Closed but among the last 1,024 orders: still refused.
    assert_eq!(
        m.place(with(limit(1, Buy, "91", "0.0001"), "x"))[0].reason,
        Some(Reason::DuplicateClientOrderId)
    );
    let ioc = Place {
        tif: Tif::Ioc,
        ..limit(1, Buy, "1", "0.0001")
    };
    for i in 0..1023 {
        assert_eq!(m.place(ioc)[0].exec_type, New, "order {i}");
    }
    // "x" is the 1,024th most recent order: still reserved.
    assert_eq!(
        m.place(with(limit(1, Buy, "91", "0.0001"), "x"))[0].reason,
        Some(Reason::DuplicateClientOrderId)
    );
    m.place(ioc);
    assert_eq!(
        m.place(with(limit(1, Buy, "91", "0.0001"), "x"))[0].exec_type,
        New
    );
}

#[test]
fn price_band_halt_and_cancel_all() {
    let mut m = Sim::standard(3, Some("10"));
    m.limit(2, Sell, "100", "1");
    m.limit(1, Buy, "100", "1");
    assert_eq!(
        m.limit(1, Buy, "111", "1")[0].reason,
        Some(Reason::PriceOutOfBand)
    );
    assert_eq!(
        m.limit(2, Sell, "89", "1")[0].reason,
        Some(Reason::PriceOutOfBand)
    );
    m.limit(2, Sell, "105", "1");
    m.limit(2, Sell, "115", "1");
    let r = m.place(market(1, Buy, "2"));
    assert_eq!(r.last().unwrap().reason, Some(Reason::PriceOutOfBand));
    let ev = m.cmd(CommandKind::Halt { symbol: name(SYM) });
    assert!(matches!(
        ev[0],
        Event::Admin {
            ok: true,
            op: AdminOp::Halt,
            ..
        }
    ));
    assert_eq!(
        m.limit(1, Buy, "100", "1")[0].reason,
        Some(Reason::MarketHalted)
    );
    let ev = m.cmd(CommandKind::CancelAll {
        user: 2,
        symbol: Some(name(SYM)),
    });
    assert_eq!(exec(ev[0]).order_id, 6);
    assert!(matches!(ev[1], Event::CancelAll { canceled: 1, .. }));
    m.cmd(CommandKind::Resume { symbol: name(SYM) });
    assert_eq!(m.limit(1, Buy, "100", "1")[0].exec_type, New);
}

#[test]
fn cancel_all_over_all_symbols_includes_stops_in_order_id_order() {
    let mut m = Sim::standard(2, None);
    m.add_symbol("ETH-USD", None);
    m.limit(1, Buy, "90", "1"); // 1
    m.place(Place {
        symbol: name("ETH-USD"),
        ..limit(1, Sell, "50", "1")
    }); // 2
    m.place(Place {
        order_type: OrderType::StopMarket,
        price: None,
        stop_price: Some(fx("120")),
        ..limit(1, Buy, "1", "1")
    }); // 3
    m.limit(2, Buy, "91", "1"); // 4: another user's, untouched
    let ev = m.cmd(CommandKind::CancelAll {
        user: 1,
        symbol: None,
    });
    let ids: Vec<u64> = ev[..3].iter().map(|e| exec(*e).order_id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert!(matches!(ev[3], Event::CancelAll { canceled: 3, .. }));
    assert_eq!(m.e.open_order_count(), 1);
    assert_eq!(m.bal(1, "USD"), s("100000", "0"));
}

#[test]
fn deposits_and_withdrawals_are_idempotent_by_tx_id() {
    let mut m = Sim::standard(1, None);
    let tx = |s: &str| TxId::new(s).unwrap();
    let dep = |u, a: &str, amt: &str, t: &str| CommandKind::Deposit {
        user: u,
        asset: name(a),
        amount: fx(amt),
        tx_id: tx(t),
    };
    let wd = |u, a: &str, amt: &str, t: &str| CommandKind::Withdraw {
        user: u,
        asset: name(a),
        amount: fx(amt),
        tx_id: tx(t),
    };
    let reason = |ev: Vec<Event>| match ev[0] {
        Event::Admin { reason, .. } => reason,
        _ => panic!(),
    };
    assert_eq!(reason(m.cmd(dep(1, "USD", "50", "d-x"))), None);
    assert_eq!(
        reason(m.cmd(dep(1, "USD", "50", "d-x"))),
        Some(Reason::DuplicateTx)
    );
    assert_eq!(
        reason(m.cmd(wd(1, "USD", "200000", "w-1"))),
        Some(Reason::InsufficientFunds)
    );
    assert_eq!(reason(m.cmd(wd(1, "USD", "30", "w-2"))), None);
    assert_eq!(
        reason(m.cmd(dep(99, "USD", "1", "d-y"))),
        Some(Reason::UnknownUser)
    );
    assert_eq!(
        reason(m.cmd(dep(1, "EUR", "1", "d-z"))),
        Some(Reason::UnknownAsset)
    );
    assert_eq!(
        reason(m.cmd(dep(1, "USD", "0.0000001", "d-w"))),
        Some(Reason::InvalidAmount)
    );
    assert_eq!(m.bal(1, "USD"), s("100020", "0"));
}

#[test]
fn limits_are_enforced_with_clear_rejects() {
    let mut m = Sim::new();
    m.e = Engine::new(EngineLimits {
        orders_per_symbol_max: 2,
        users_max: 3,
        ..EngineLimits::default()
    });
    m.cmd(CommandKind::AddAsset {
        asset: name("BTC"),
        scale: 8,
    });
    m.cmd(CommandKind::AddAsset {
        asset: name("USD"),
        scale: 6,
    });
    m.add_symbol(SYM, None);
    m.add_user(1);
    m.deposit(1, "USD", "1000");
    m.limit(1, Buy, "1", "1");
    m.limit(1, Buy, "2", "1");
    assert_eq!(
        m.limit(1, Buy, "3", "1")[0].reason,
        Some(Reason::LimitReached)
    );
    m.add_user(2);
    m.add_user(3);
    let ev = m.cmd(CommandKind::AddUser {
        user: 4,
        key_hash: KeyHash::of_key("k"),
        role: Role::Trader,
    });
    assert!(matches!(
        ev[0],
        Event::Admin {
            ok: false,
            reason: Some(Reason::LimitReached),
            ..
        }
    ));
}

#[test]
fn sequence_gaps_are_refused_and_time_is_clamped() {
    let mut e = Engine::new(EngineLimits::default());
    let mut out = Vec::new();
    let c = |seq, ts| Command {
        seq,
        ts_ns: ts,
        kind: CommandKind::AddAsset {
            asset: name("A"),
            scale: 2,
        },
    };
    e.apply(&c(1, 100), &mut out).unwrap();
    assert_eq!(
        e.apply(&c(3, 200), &mut out),
        Err(ApplyError::SequenceGap {
            expected: 2,
            got: 3
        })
    );
    e.apply(&c(2, 50), &mut out).unwrap();
    assert_eq!(e.last_ts_ns(), 100);
}

#[test]
fn emptied_levels_are_reused_and_compacted_without_changing_the_book() {
    let mut m = Sim::standard(2, None);
    // 300 bids at distinct prices, then cancel all but every 10th: empty levels
    // pile up under the best and get compacted; the book must not change shape.
    for i in 0..300u64 {
        m.limit(1, Buy, &format!("{}", 1000 + i), "0.0001");
    }
    for id in 1..=300u64 {
        if id % 10 != 0 {
            m.cancel(1, id);
        }
    }
    let bids: Vec<String> = m.book(SYM).0.into_iter().map(|(p, _)| p).collect();
    let want: Vec<String> = (1..=30u64)
        .rev()
        .map(|k| format!("{}", 999 + 10 * k))
        .collect();
    assert_eq!(bids, want);
    // Reuse a price whose level was emptied, then trade through the top.
    m.limit(1, Buy, "1100", "0.0001");
    let r = m.place(market(2, Sell, "0.0003"));
    assert_eq!(r.iter().filter(|r| r.exec_type == Trade).count(), 6);
    assert_eq!(m.book(SYM).0[0], s("1269", "0.0001"));
}
