//! Property tests over random command streams: several users, two symbols,
//! every order type, amends, cancels, cancel-all, halts, deposits and
//! withdrawals. After every command the invariants hold (conservation, no
//! negative balance, locks equal open orders' needs, books sorted and never
//! crossed at rest); the same stream gives the same events and state hash; a
//! snapshot restored midway ends in the same state as an uninterrupted run.
mod common;
use common::*;
use engine::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

#[derive(Clone, Debug)]
enum Op {
    Place {
        user: u8,
        sym: bool,
        side: bool,
        kind: u8,
        px: u8,
        qty: u8,
        extra: u8,
        stp: u8,
    },
    Cancel {
        user: u8,
        sym: bool,
        back: u8,
    },
    Amend {
        user: u8,
        sym: bool,
        back: u8,
        px: Option<u8>,
        qty: Option<u8>,
    },
    CancelAll {
        user: u8,
        sym: Option<bool>,
    },
    Halt {
        sym: bool,
        on: bool,
    },
    Deposit {
        user: u8,
        usd: bool,
        amt: u8,
    },
    Withdraw {
        user: u8,
        usd: bool,
        amt: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (0..4u8, any::<bool>(), any::<bool>(), 0..12u8, 0..20u8, 1..30u8, any::<u8>(), 0..6u8)
            .prop_map(|(user, sym, side, kind, px, qty, extra, stp)| Op::Place { user, sym, side, kind, px, qty, extra, stp }),
        3 => (0..4u8, any::<bool>(), 0..20u8).prop_map(|(user, sym, back)| Op::Cancel { user, sym, back }),
        3 => (0..4u8, any::<bool>(), 0..20u8, proptest::option::of(0..20u8), proptest::option::of(1..30u8))
            .prop_map(|(user, sym, back, px, qty)| Op::Amend { user, sym, back, px, qty }),
        1 => (0..4u8, proptest::option::of(any::<bool>())).prop_map(|(user, sym)| Op::CancelAll { user, sym }),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(sym, on)| Op::Halt { sym, on }),
        1 => (0..4u8, any::<bool>(), any::<u8>()).prop_map(|(user, usd, amt)| Op::Deposit { user, usd, amt }),
        1 => (0..4u8, any::<bool>(), any::<u8>()).prop_map(|(user, usd, amt)| Op::Withdraw { user, usd, amt }),
    ]
}

const SYMS: [&str; 2] = ["BTC-USD", "ETH-USD"];

/// Turns abstract ops into commands (setup first). Order ids are predictable:
/// every place consumes the next one.
fn commands(ops: &[Op]) -> Vec<CommandKind> {
    let mut v = vec![
        CommandKind::AddAsset {
            asset: name("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: name("USD"),
            scale: 6,
        },
    ];
    for (i, s) in SYMS.iter().enumerate() {
        v.push(CommandKind::AddSymbol(SymbolSpec {
            symbol: name(s),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: fx("0.5"),
            lot_size: fx("0.01"),
            min_qty: fx("0.01"),
            maker_fee_bps: 7,
            taker_fee_bps: 25,
            price_band_pct: if i == 1 { Some(fx("5")) } else { None },
        }));
    }
    for u in 1..=4u64 {
        v.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&u.to_string()),
            role: Role::Trader,
        });
        v.push(CommandKind::Deposit {
            user: u,
            asset: name("USD"),
            amount: fx("2000"),
            tx_id: TxId::new(&format!("u{u}")).unwrap(),
        });
        v.push(CommandKind::Deposit {
            user: u,
            asset: name("BTC"),
            amount: fx("20"),
            tx_id: TxId::new(&format!("b{u}")).unwrap(),
        });
    }
    let mut next_id = 1u64;
    let mut tx = 0;
    // (order id, user, symbol) of every place, so cancels and amends mostly
    // name a real order of its owner (user 3 of 0..4 picks a stranger's).
    let mut placed: Vec<(u64, u64, usize)> = Vec::new();
    let target = |placed: &Vec<(u64, u64, usize)>, user: u8, sym: bool, back: u8| match placed.len()
    {
        0 => (user as u64 + 1, sym as usize, 1),
        n => {
            let (id, owner, s) = placed[n - 1 - back as usize % n];
            if user == 3 {
                (1 + (owner % 4), s, id)
            } else {
                (owner, s, id)
            }
        }
    };
    let price = |px: u8| Fixed::new(90 + px as i64, 0);
    let qty = |q: u8| Fixed::new(q as i64 * 10, 2);
    for o in ops {
        v.push(match *o {
            Op::Place {
                user,
                sym,
                side,
                kind,
                px,
                qty: q,
                extra,
                stp,
            } => {
                placed.push((next_id, user as u64 + 1, sym as usize));
                next_id += 1;
                let side = if side { Side::Buy } else { Side::Sell };
                let mut p = Place {
                    user: user as u64 + 1,
                    symbol: name(SYMS[sym as usize]),
                    side,
                    order_type: OrderType::Limit,
                    tif: Tif::Gtc,
                    price: Some(price(px)),
                    qty: qty(q),
                    stop_price: None,
                    display_qty: None,
                    post_only: false,
                    stp: [
                        Stp::None,
                        Stp::None,
                        Stp::None,
                        Stp::CancelTaker,
                        Stp::CancelMaker,
                        Stp::CancelBoth,
                    ][stp as usize],
                    client_order_id: if extra % 3 == 0 {
                        ClOrdId::new(&format!("c{}", extra % 7))
                    } else {
                        None
                    },
                };
                match kind {
                    0..=3 => {}
                    4 => p.tif = Tif::Ioc,
                    5 => p.tif = Tif::Fok,
                    6 => p.post_only = true,
                    7 => p.display_qty = Some(qty((extra % 5) + 1)),
                    8 => {
                        p.order_type = OrderType::Market;
                        p.price = None;
                    }
                    9 => {
                        p.order_type = OrderType::StopLimit;
                        p.stop_price = Some(price(extra % 20));
                    }
                    10 => {
                        p.order_type = OrderType::StopMarket;
                        p.price = None;
                        p.stop_price = Some(price(extra % 20));
                    }
                    _ => p.qty = Fixed::new(1, 3), // not a lot multiple: rejected
                }
                CommandKind::Place(p)
            }
            Op::Cancel { user, sym, back } => {
                let (user, s, id) = target(&placed, user, sym, back);
                CommandKind::Cancel {
                    user,
                    symbol: name(SYMS[s]),
                    target: OrderRef::Id(id),
                }
            }
            Op::Amend {
                user,
                sym,
                back,
                px,
                qty: q,
            } => {
                let (user, s, id) = target(&placed, user, sym, back);
                CommandKind::Amend {
                    user,
                    symbol: name(SYMS[s]),
                    target: OrderRef::Id(id),
                    price: px.map(price),
                    qty: q.map(qty),
                }
            }
            Op::CancelAll { user, sym } => CommandKind::CancelAll {
                user: user as u64 + 1,
                symbol: sym.map(|s| name(SYMS[s as usize])),
            },
            Op::Halt { sym, on } => {
                let symbol = name(SYMS[sym as usize]);
                if on {
                    CommandKind::Halt { symbol }
                } else {
                    CommandKind::Resume { symbol }
                }
            }
            Op::Deposit { user, usd, amt } | Op::Withdraw { user, usd, amt } => {
                tx += 1;
                let (user, asset, amount, tx_id) = (
                    user as u64 + 1,
                    name(if usd { "USD" } else { "BTC" }),
                    Fixed::new(amt as i64 + 1, 0),
                    TxId::new(&format!("t{tx}")).unwrap(),
                );
                if matches!(o, Op::Deposit { .. }) {
                    CommandKind::Deposit {
                        user,
                        asset,
                        amount,
                        tx_id,
                    }
                } else {
                    CommandKind::Withdraw {
                        user,
                        asset,
                        amount,
                        tx_id,
                    }
                }
            }
        });
    }
    v
}

/// Runs `kinds` from `start` (seq numbers continue the engine's), checking
/// invariants after each; returns every event.
fn run(e: &mut Engine, kinds: &[CommandKind]) -> Vec<Event> {
    let mut all = Vec::new();
    let mut out = Vec::new();
    for k in kinds {
        out.clear();
        let seq = e.last_seq() + 1;
        e.apply(
            &Command {
                seq,
                ts_ns: 1_000 + seq * 7,
                kind: *k,
            },
            &mut out,
        )
        .unwrap();
        if let Err(err) = e.check_invariants() {
            panic!("after seq {seq} {k:?}: {err}");
        }
        all.extend_from_slice(&out);
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_replay_is_exact(ops in proptest::collection::vec(op(), 1..250), cut in any::<prop::sample::Index>()) {
        let cmds = commands(&ops);
        let mut a = Engine::new(EngineLimits::default());
        let ev_a = run(&mut a, &cmds);
        let mut b = Engine::new(EngineLimits::default());
        let ev_b = run(&mut b, &cmds);
        prop_assert_eq!(&ev_a, &ev_b);
        prop_assert_eq!(a.state_hash(), b.state_hash());

        // Snapshot at a random point, restore, run the rest.
        let k = cut.index(cmds.len() + 1);
        let mut c = Engine::new(EngineLimits::default());
        let ev_c1 = run(&mut c, &cmds[..k]);
        let mut d = Engine::from_snapshot_bytes(&c.snapshot_bytes()).unwrap();
        prop_assert_eq!(d.state_hash(), c.state_hash());
        let ev_d = run(&mut d, &cmds[k..]);
        prop_assert_eq!(d.state_hash(), a.state_hash());
        let mut joined = ev_c1;
        joined.extend(ev_d);
        prop_assert_eq!(joined, ev_a);
    }
}

/// The generator is only useful if streams really trade, trigger and reject.
#[test]
fn streams_exercise_the_interesting_paths() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut trades, mut triggered, mut rejected, mut replaced, mut canceled) = (0, 0, 0, 0, 0);
    for _ in 0..50 {
        let ops = proptest::collection::vec(op(), 200)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut e = Engine::new(EngineLimits::default());
        for ev in run(&mut e, &commands(&ops)) {
            if let Event::Execution(r) = ev {
                match r.exec_type {
                    ExecType::Trade => trades += 1,
                    ExecType::Triggered => triggered += 1,
                    ExecType::Rejected => rejected += 1,
                    ExecType::Replaced => replaced += 1,
                    ExecType::Canceled => canceled += 1,
                    ExecType::New => {}
                }
            }
        }
    }
    println!("trades {trades} triggered {triggered} rejected {rejected} replaced {replaced} canceled {canceled}");
    assert!(trades > 500 && triggered > 10 && rejected > 50 && replaced > 50 && canceled > 100);
}
