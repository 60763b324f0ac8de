//! Inputs the fuzz targets (fuzz/, `scripts/fuzz.sh`) crashed on, kept as
//! plain tests: each must be answered (a report or a reject), never panic,
//! and leave the invariants holding.
use engine::*;

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

/// The fuzz targets' setup: BTC (scale 8), USD (scale 6), BTC-USD with tick
/// 0.5 and lot 0.01, funded traders.
fn engine() -> Engine {
    let mut kinds = vec![
        CommandKind::AddAsset {
            asset: name("BTC"),
            scale: 8,
        },
        CommandKind::AddAsset {
            asset: name("USD"),
            scale: 6,
        },
        CommandKind::AddSymbol(SymbolSpec {
            symbol: name("BTC-USD"),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: Fixed::new(5, 1),
            lot_size: Fixed::new(1, 2),
            min_qty: Fixed::new(1, 2),
            maker_fee_bps: 7,
            taker_fee_bps: 25,
            price_band_pct: None,
        }),
    ];
    for u in 1..=2u64 {
        kinds.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&u.to_string()),
            role: Role::Trader,
        });
        kinds.push(CommandKind::Deposit {
            user: u,
            asset: name("USD"),
            amount: Fixed::new(2000, 0),
            tx_id: TxId::new(&format!("u{u}")).unwrap(),
        });
    }
    let mut e = Engine::new(EngineLimits::default());
    for k in kinds {
        apply(&mut e, k);
    }
    e
}

fn apply(e: &mut Engine, kind: CommandKind) -> Vec<Event> {
    let mut out = Vec::new();
    let cmd = Command {
        seq: e.last_seq() + 1,
        ts_ns: 1_000 * (e.last_seq() + 1),
        kind,
    };
    e.apply(&cmd, &mut out).unwrap();
    e.check_invariants().unwrap();
    out
}

fn place(price: Fixed, qty: Fixed) -> CommandKind {
    CommandKind::Place(Place {
        user: 2,
        symbol: name("BTC-USD"),
        side: Side::Buy,
        order_type: OrderType::Limit,
        tif: Tif::Gtc,
        price: Some(price),
        qty,
        stop_price: None,
        display_qty: None,
        post_only: false,
        stp: Stp::None,
        client_order_id: ClOrdId::new("c0"),
    })
}

fn rejected(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Execution(r) if r.exec_type == ExecType::Rejected))
}

/// fuzz/engine: a buy whose price (in ticks) times lots times quote units per
/// tick-lot overflows even an i128. Debug builds panicked; release builds
/// wrapped, and a wrapped product can fit an i64 and lock a wrong amount.
#[test]
fn buy_whose_notional_overflows_i128_is_rejected() {
    let mut e = engine();
    let ev = apply(
        &mut e,
        place(
            Fixed::new(217_020_505_578_799_104, 0),
            Fixed::new(2_089_671_348_270_923_777, 2),
        ),
    );
    assert!(rejected(&ev), "{ev:?}");
    assert_eq!(e.open_order_count(), 0);
    // And the largest values that still fit are handled too.
    let ev = apply(
        &mut e,
        place(Fixed::new(i64::MAX, 0), Fixed::new(i64::MAX, 0)),
    );
    assert!(rejected(&ev), "{ev:?}");
}

/// fuzz/snapshot: a snapshot payload whose asset table claims ~61 GB. The
/// loader tried to allocate it and the process aborted; it must be refused.
#[test]
fn snapshot_with_a_huge_table_length_is_refused() {
    let bytes = include_bytes!("fuzz_inputs/snapshot-huge-table.bin");
    let err = Engine::from_snapshot_bytes(bytes).err().expect("refused");
    assert!(err.to_string().contains("decode"), "{err}");
    // A real snapshot still loads.
    let e = engine();
    let again = Engine::from_snapshot_bytes(&e.snapshot_bytes()).unwrap();
    assert_eq!(again.state_hash(), e.state_hash());
}

/// fuzz/snapshot: a snapshot payload whose symbol names an asset id past the
/// asset table. The loader's own invariant check indexed the balance table
/// with it and panicked; the loader must refuse such a directory.
#[test]
fn snapshot_with_a_symbol_on_an_unknown_asset_is_refused() {
    // The fuzz input's first byte picks the payload path; the rest is the payload.
    let input = include_bytes!("fuzz_inputs/snapshot-symbol-unknown-asset.bin");
    let err = Engine::from_snapshot_bytes(&input[1..])
        .err()
        .expect("refused");
    assert!(err.to_string().contains("asset"), "{err}");
}
