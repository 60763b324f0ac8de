//! The peer `lobster` 0.7 behind [`BookEngine`].
//!
//! What holds: one `lobster::OrderBook` per symbol (arena pre-sized to the
//! symbol's places, untimed), our order ids used as lobster's ids. lobster has
//! limit, market and cancel only, and does not say what is left of an order,
//! so the adapter keeps, per our order id, the open quantity (from every
//! fill's maker id and quantity), the price, the side and ringex's total.
//! Mapping:
//! - limit GTC: `Limit`; limit IOC: `Limit`, then `Cancel` of whatever rested
//!   (lobster has no IOC); market: `Market`;
//! - cancel: `Cancel` when the order is open, otherwise refused here
//!   (lobster answers `Canceled` even for an unknown id);
//! - amend (lobster has none): `Cancel` then `Limit` with the same id at the
//!   new price and the new open quantity, so a crossing move matches as an
//!   incoming order, as in ringex. A pure quantity reduction also loses time
//!   priority here, where ringex keeps it: the one place where lobster's
//!   outcome can differ. An amend of an order that is not open, or to a total
//!   not above the filled part, is refused here.

use super::translate::{translate, BookOp, Translation};
use super::{BookEngine, RunStats};
use crate::flowfile::Flow;
use lobster::{OrderBook, OrderEvent, OrderType};

#[derive(Default)]
pub struct LobsterBook {
    t: Translation,
    books: Vec<OrderBook>,
    /// Per our order id: open quantity, price, side (true = bid), ringex total.
    open: Vec<u64>,
    price: Vec<u64>,
    bid: Vec<bool>,
    totals: Vec<u64>,
    /// Operations sent as more than one lobster call in the current run.
    adapted: u64,
}

fn side(bid: bool) -> lobster::Side {
    if bid {
        lobster::Side::Bid
    } else {
        lobster::Side::Ask
    }
}

impl LobsterBook {
    /// Applies the fills of `ev` to the makers; returns (taker filled, trades).
    #[inline]
    fn absorb(open: &mut [u64], ev: &OrderEvent) -> (u64, u64) {
        match ev {
            OrderEvent::Filled {
                filled_qty, fills, ..
            }
            | OrderEvent::PartiallyFilled {
                filled_qty, fills, ..
            } => {
                for f in fills {
                    let m = &mut open[f.order_2 as usize];
                    *m = m.saturating_sub(f.qty);
                }
                (*filled_qty, fills.len() as u64)
            }
            _ => (0, 0),
        }
    }

    /// Sends a limit order for our `id`; keeps its open quantity; returns trades.
    #[inline]
    fn limit(&mut self, book: u32, id: u64, bid: bool, price: u64, qty: u64, ioc: bool) -> u64 {
        let b = &mut self.books[book as usize];
        let ev = b.execute(OrderType::Limit {
            id: id as u128,
            side: side(bid),
            qty,
            price,
        });
        let (filled, trades) = Self::absorb(&mut self.open, &ev);
        let left = qty - filled;
        if ioc && left > 0 {
            b.execute(OrderType::Cancel { id: id as u128 });
            self.adapted += 1;
        }
        let i = id as usize;
        self.open[i] = if ioc { 0 } else { left };
        self.price[i] = price;
        self.bid[i] = bid;
        trades
    }

    /// (accepted, trades) of one operation.
    fn op(&mut self, op: &BookOp) -> (bool, u64) {
        match *op {
            BookOp::Limit {
                book,
                id,
                side: s,
                price,
                qty,
                ioc,
            } => {
                self.totals[id as usize] = qty;
                (
                    true,
                    self.limit(book, id, s == engine::Side::Buy, price, qty, ioc),
                )
            }
            BookOp::Market {
                book,
                id,
                side: s,
                qty,
            } => {
                let bid = s == engine::Side::Buy;
                let ev = self.books[book as usize].execute(OrderType::Market {
                    id: id as u128,
                    side: side(bid),
                    qty,
                });
                let (_, trades) = Self::absorb(&mut self.open, &ev);
                self.open[id as usize] = 0;
                self.totals[id as usize] = qty;
                (true, trades)
            }
            BookOp::Cancel { book, id } => {
                let i = id as usize;
                if i >= self.open.len() || self.open[i] == 0 {
                    return (false, 0);
                }
                self.books[book as usize].execute(OrderType::Cancel { id: id as u128 });
                self.open[i] = 0;
                (true, 0)
            }
            BookOp::Amend {
                book,
                id,
                price,
                qty,
            } => {
                let i = id as usize;
                if i >= self.open.len() || self.open[i] == 0 {
                    return (false, 0);
                }
                let open = self.open[i];
                let new_open = match qty {
                    Some(q) => open as i64 - (self.totals[i] as i64 - q as i64),
                    None => open as i64,
                };
                if new_open <= 0 {
                    return (false, 0);
                }
                let new_price = price.unwrap_or(self.price[i]);
                self.books[book as usize].execute(OrderType::Cancel { id: id as u128 });
                self.adapted += 1;
                if let Some(q) = qty {
                    self.totals[i] = q;
                }
                let bid = self.bid[i];
                (
                    true,
                    self.limit(book, id, bid, new_price, new_open as u64, false),
                )
            }
        }
    }
}

impl BookEngine for LobsterBook {
    fn name(&self) -> &'static str {
        "lobster"
    }

    fn prepare(&mut self, flow: &Flow) -> Result<(), String> {
        self.t = translate(flow);
        self.books = self
            .t
            .places_per_book
            .iter()
            .map(|&n| OrderBook::new((n as usize + 16).min(1 << 22), 10, false))
            .collect();
        let n = self.t.max_order_id as usize + 1;
        self.open = vec![0; n];
        self.price = vec![0; n];
        self.bid = vec![false; n];
        self.totals = vec![0; n];
        let mut t = std::mem::take(&mut self.t);
        let setup = t.apply_setup(|op| self.op(op).0);
        self.t = t;
        setup?;
        self.adapted = 0;
        Ok(())
    }

    fn run(&mut self, flow: &Flow) -> RunStats {
        let mut t = std::mem::take(&mut self.t);
        let mut s = t.run_measured(flow.measured.len() as u64, |op| self.op(op));
        self.t = t;
        s.adapted = self.adapted;
        s
    }
}
