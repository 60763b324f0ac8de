//! Helpers shared by the fuzz targets: a byte reader, a scratch directory on
//! a memory filesystem when there is one, and the engine command decoder.

use engine::*;
use std::path::PathBuf;

/// Reads fuzz input front to back; past the end every read is zero and
/// [`Bytes::done`] turns true.
pub struct Bytes<'a> {
    d: &'a [u8],
    i: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(d: &'a [u8]) -> Self {
        Bytes { d, i: 0 }
    }
    pub fn done(&self) -> bool {
        self.i >= self.d.len()
    }
    pub fn u8(&mut self) -> u8 {
        let v = self.d.get(self.i).copied().unwrap_or(0);
        self.i += 1;
        v
    }
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    pub fn u64(&mut self) -> u64 {
        let mut v = 0u64;
        for _ in 0..8 {
            v = (v << 8) | self.u8() as u64;
        }
        v
    }
}

/// A scratch directory, on `/dev/shm` when it exists (no disk I/O per run).
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        if let Ok(t) = tempfile::Builder::new()
            .prefix("ringex-fuzz")
            .tempdir_in(&shm)
        {
            return t;
        }
    }
    tempfile::tempdir().expect("temporary directory")
}

fn name(s: &str) -> Name {
    Name::new(s).expect("valid name")
}

const ASSETS: [&str; 4] = ["BTC", "USD", "ETH", "X1"];
const SYMS: [&str; 4] = ["BTC-USD", "ETH-USD", "ETH-BTC", "NOPE"];

/// The setup every engine run starts from: assets, two symbols (one with a
/// price band), four funded traders and an admin.
pub fn setup() -> Vec<CommandKind> {
    let fx = Fixed::new;
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
    for (i, s) in ["BTC-USD", "ETH-USD"].iter().enumerate() {
        v.push(CommandKind::AddSymbol(SymbolSpec {
            symbol: name(s),
            base: name("BTC"),
            quote: name("USD"),
            tick_size: fx(5, 1),
            lot_size: fx(1, 2),
            min_qty: fx(1, 2),
            maker_fee_bps: 7,
            taker_fee_bps: 25,
            price_band_pct: if i == 1 { Some(fx(5, 0)) } else { None },
        }));
    }
    for u in 1..=5u64 {
        v.push(CommandKind::AddUser {
            user: u,
            key_hash: KeyHash::of_key(&u.to_string()),
            role: if u == 5 { Role::Admin } else { Role::Trader },
        });
        v.push(CommandKind::Deposit {
            user: u,
            asset: name("USD"),
            amount: fx(2000, 0),
            tx_id: TxId::new(&format!("u{u}")).unwrap(),
        });
        v.push(CommandKind::Deposit {
            user: u,
            asset: name("BTC"),
            amount: fx(20, 0),
            tx_id: TxId::new(&format!("b{u}")).unwrap(),
        });
    }
    v
}

/// A decimal: mostly on the grid near the book, sometimes anything at all.
fn decimal(b: &mut Bytes, grid_base: i64, grid_scale: u8) -> Fixed {
    let sel = b.u8();
    match sel % 8 {
        0 => Fixed::new(b.u64() as i64, b.u8() % 24),
        1 => Fixed::new(-(b.u8() as i64), b.u8() % 4),
        2 => Fixed::new(b.u8() as i64 + 1, b.u8() % 10),
        _ => Fixed::new(grid_base + b.u8() as i64 % 40, grid_scale),
    }
}

fn price(b: &mut Bytes) -> Fixed {
    decimal(b, 180, 1) // 18.0 .. 21.9 on a 0.5 tick: half on the grid
}

fn qty(b: &mut Bytes) -> Fixed {
    decimal(b, 1, 2)
}

fn user(b: &mut Bytes) -> UserId {
    match b.u8() % 16 {
        15 => b.u64(),
        14 => 0,
        n => 1 + (n as u64 % 6), // 6: unknown user
    }
}

fn symbol(b: &mut Bytes) -> Name {
    name(SYMS[(b.u8() % 8).min(3) as usize])
}

fn clid(b: &mut Bytes) -> Option<ClOrdId> {
    let v = b.u8();
    (v % 3 == 0).then(|| ClOrdId::new(&format!("c{}", v % 7)).unwrap())
}

fn target(b: &mut Bytes, next_order_id: u64) -> OrderRef {
    let v = b.u8();
    if v % 4 == 0 {
        OrderRef::Client(ClOrdId::new(&format!("c{}", v % 7)).unwrap())
    } else {
        let back = (b.u8() % 32) as u64;
        OrderRef::Id(next_order_id.saturating_sub(back + 1).max(1))
    }
}

fn opt<T>(b: &mut Bytes, f: impl FnOnce(&mut Bytes) -> T) -> Option<T> {
    if b.bool() {
        Some(f(b))
    } else {
        None
    }
}

/// Decodes commands from fuzz bytes until they run out. `next_order_id`
/// guesses which order ids exist, so cancels and amends mostly hit one.
pub fn commands(b: &mut Bytes, max: usize) -> Vec<CommandKind> {
    let mut v = Vec::new();
    let mut next_order_id = 1u64;
    let mut tx = 0u32;
    while !b.done() && v.len() < max {
        let op = b.u8();
        let k = match op % 20 {
            0..=7 => {
                next_order_id += 1;
                let flags = b.u8();
                let order_type = [
                    OrderType::Limit,
                    OrderType::Limit,
                    OrderType::Limit,
                    OrderType::Limit,
                    OrderType::Market,
                    OrderType::StopLimit,
                    OrderType::StopMarket,
                    OrderType::Limit,
                ][(flags % 8) as usize];
                let tif = [Tif::Gtc, Tif::Gtc, Tif::Ioc, Tif::Fok][((flags >> 3) % 4) as usize];
                let stp = [
                    Stp::None,
                    Stp::CancelTaker,
                    Stp::CancelMaker,
                    Stp::CancelBoth,
                ][((flags >> 5) % 4) as usize];
                let strict = flags >> 7 == 0;
                let limit = matches!(order_type, OrderType::Limit | OrderType::StopLimit);
                let stop = matches!(order_type, OrderType::StopLimit | OrderType::StopMarket);
                let p = Place {
                    user: user(b),
                    symbol: symbol(b),
                    side: if b.bool() { Side::Buy } else { Side::Sell },
                    order_type,
                    tif,
                    price: if strict {
                        limit.then(|| price(b))
                    } else {
                        opt(b, price)
                    },
                    qty: qty(b),
                    stop_price: if strict {
                        stop.then(|| price(b))
                    } else {
                        opt(b, price)
                    },
                    display_qty: if b.u8() % 5 == 0 { Some(qty(b)) } else { None },
                    post_only: b.u8() % 6 == 0,
                    stp,
                    client_order_id: clid(b),
                };
                CommandKind::Place(p)
            }
            8..=10 => CommandKind::Cancel {
                user: user(b),
                symbol: symbol(b),
                target: target(b, next_order_id),
            },
            11 | 12 => CommandKind::Amend {
                user: user(b),
                symbol: symbol(b),
                target: target(b, next_order_id),
                price: opt(b, price),
                qty: opt(b, qty),
            },
            13 => CommandKind::CancelAll {
                user: user(b),
                symbol: opt(b, symbol),
            },
            14 => {
                let symbol = symbol(b);
                if b.bool() {
                    CommandKind::Halt { symbol }
                } else {
                    CommandKind::Resume { symbol }
                }
            }
            15 | 16 => {
                tx += 1;
                let (user, asset, amount) = (
                    user(b),
                    name(ASSETS[(b.u8() % 4) as usize]),
                    decimal(b, 1, 0),
                );
                // Repeated tx ids test idempotency.
                let tx_id = TxId::new(&format!("t{}", if b.bool() { tx % 4 } else { tx })).unwrap();
                if op % 20 == 15 {
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
            17 => CommandKind::AddAsset {
                asset: name(ASSETS[(b.u8() % 4) as usize]),
                scale: b.u8() % 24,
            },
            18 => CommandKind::AddSymbol(SymbolSpec {
                symbol: symbol(b),
                base: name(ASSETS[(b.u8() % 4) as usize]),
                quote: name(ASSETS[(b.u8() % 4) as usize]),
                tick_size: decimal(b, 5, 1),
                lot_size: decimal(b, 1, 2),
                min_qty: decimal(b, 1, 2),
                maker_fee_bps: b.u8() as u32 * 4,
                taker_fee_bps: b.u8() as u32 * 4,
                price_band_pct: opt(b, |b| decimal(b, 5, 0)),
            }),
            _ => CommandKind::AddUser {
                user: user(b),
                key_hash: KeyHash::of_key(&b.u8().to_string()),
                role: if b.bool() { Role::Admin } else { Role::Trader },
            },
        };
        v.push(k);
    }
    v
}
