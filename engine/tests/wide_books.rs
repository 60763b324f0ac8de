//! Books spread over hundreds of price levels, reshaped by a long stream of
//! price moves: what the small property streams never reach (levels emptied
//! and re-created far from the top, empty levels re-keyed in place or
//! compacted away, books drained and refilled). After every command the
//! invariants hold (they check the level index too); every few hundred
//! commands the L2 book equals the one rebuilt from the open orders; a
//! snapshot taken midway restores to the same state.
mod common;
use common::*;
use engine::*;
use std::collections::BTreeMap;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The price `ticks` (of 0.01) as a decimal string.
fn px(ticks: i64) -> String {
    format!("{}.{:02}", ticks / 100, ticks % 100)
}

/// Bids and asks as (price, visible quantity), best first.
type Sides = (Vec<(Ticks, Lots)>, Vec<(Ticks, Lots)>);

/// The L2 book rebuilt from every user's open orders (no icebergs here, so
/// visible = remaining).
fn l2_from_open_orders(s: &Sim, users: u64) -> Sides {
    let mut bids: BTreeMap<Ticks, i64> = BTreeMap::new();
    let mut asks: BTreeMap<Ticks, i64> = BTreeMap::new();
    for u in 1..=users {
        for r in s.e.open_orders(u, None) {
            let side = match r.side {
                Side::Buy => &mut bids,
                Side::Sell => &mut asks,
            };
            *side.entry(r.price.unwrap()).or_default() += r.remaining.get();
        }
    }
    (
        bids.into_iter()
            .rev()
            .map(|(p, q)| (p, Lots::new(q)))
            .collect(),
        asks.into_iter().map(|(p, q)| (p, Lots::new(q))).collect(),
    )
}

#[test]
fn wide_books_keep_their_levels_right() {
    const USERS: u64 = 8;
    let mut s = Sim::standard(USERS, None);
    let sym = s.e.directory().symbol_id(&name(SYM)).unwrap();
    let mut rng = Rng(7);
    let mid: i64 = 10_000; // 100.00
                           // Open orders by id: (user, side, price in ticks).
    let mut open: BTreeMap<u64, (u64, Side, i64)> = BTreeMap::new();
    let mut restored = false;
    let (mut moves, mut creates) = (0u32, 0u32);
    for step in 0..24_000u32 {
        // Phases: build a wide book, churn it, drain one side's users, refill.
        let drain = (14_000..14_050).contains(&step);
        let k = rng.below(100);
        let user = 1 + rng.below(USERS);
        let events = if drain {
            s.cmd(CommandKind::CancelAll {
                user: 1 + (step as u64 % USERS),
                symbol: None,
            })
        } else if open.len() < 60 || k < 12 {
            let side = if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            // Mostly passive and far apart; now and then through the spread.
            let off = if rng.below(10) == 0 {
                -(rng.below(4) as i64)
            } else {
                1 + rng.below(400) as i64
            };
            let p = match side {
                Side::Buy => mid - off,
                Side::Sell => mid + off,
            };
            let qty = format!("0.{:04}", 1 + rng.below(40));
            let mut place = limit(user, side, &px(p), &qty);
            if rng.below(12) == 0 {
                place.tif = Tif::Ioc;
            }
            creates += 1;
            s.cmd(CommandKind::Place(place))
        } else if k < 18 {
            let i = rng.below(open.len() as u64) as usize;
            let (&id, &(u, _, _)) = open.iter().nth(i).unwrap();
            s.cancel(u, id)
        } else {
            let i = rng.below(open.len() as u64) as usize;
            let (&id, &(u, side, p)) = open.iter().nth(i).unwrap();
            // Mostly a few ticks, sometimes far, sometimes across the book.
            let d = match rng.below(20) {
                0 => 150 + rng.below(300) as i64,
                1 => -(150 + rng.below(300) as i64),
                _ => 1 + rng.below(5) as i64,
            };
            let d = if rng.below(2) == 0 { d } else { -d };
            let p = match side {
                Side::Buy => (p + d).clamp(mid - 600, mid + 3),
                Side::Sell => (p + d).clamp(mid - 3, mid + 600),
            };
            let qty = (rng.below(8) == 0).then(|| format!("0.{:04}", 1 + rng.below(60)));
            moves += 1;
            s.amend(u, id, Some(&px(p)), qty.as_deref())
        };
        for ev in events {
            if let Event::Execution(r) = ev {
                if matches!(r.status, OrderStatus::New | OrderStatus::PartiallyFilled) {
                    open.insert(r.order_id, (r.user, r.side, r.price.unwrap().get()));
                } else {
                    open.remove(&r.order_id);
                }
            }
        }
        if step % 250 == 0 {
            let l2 = s.e.book(sym, usize::MAX);
            assert_eq!(
                (l2.bids, l2.asks),
                l2_from_open_orders(&s, USERS),
                "step {step}"
            );
        }
        if step == 12_000 && !restored {
            let bytes = s.e.snapshot_bytes();
            let e = Engine::from_snapshot_bytes(&bytes).expect("restore");
            assert_eq!(e.state_hash(), s.e.state_hash());
            assert_eq!(e.snapshot_bytes(), bytes);
            s.e = e;
            restored = true;
        }
    }
    let l2 = s.e.book(sym, usize::MAX);
    assert_eq!((l2.bids, l2.asks), l2_from_open_orders(&s, USERS));
    assert!(restored && moves > 15_000 && creates > 2_000);
}
