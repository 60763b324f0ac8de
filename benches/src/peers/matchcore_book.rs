//! The peer `matchcore` 0.4 behind [`BookEngine`].
//!
//! What holds: one `matchcore::OrderBook` per symbol, each with its own
//! sequence numbers from 0 (matchcore refuses gaps) and a matchcore order id
//! equal to the sequence number of the submit that created it, kept per our
//! order id in a dense table. Mapping:
//! - limit GTC/IOC: `Submit(Limit)` with `TimeInForce::Gtc`/`Ioc`;
//!   market: `Submit(Market)` without market-to-limit;
//! - cancel: `Cancel` (order kind `Limit`);
//! - amend: `Amend(Limit patch)`. Our amend carries the new *total*
//!   (filled part included) while matchcore's quantity is what is open, so
//!   the adapter reads the order's open quantity from the book and sends
//!   `open - (old total - new total)`; a result of 0 or less is refused here,
//!   as ringex refuses a total not above the filled part.
//!
//! The crate is our copy of matchcore 0.4.0 with the fix of its issue #167
//! (`benches/vendor/matchcore`): as shipped, a crossing limit order (submit,
//! or amend to a crossing price) is matched with no price limit and trades
//! through its own limit when it is larger than what rests within it.
//! `tests/matchcore_167.rs` shows the shipped behaviour; with the fix the
//! outcomes equal ringex's, with nothing rewritten by this adapter.

use super::translate::{translate, BookOp, Translation};
use super::{BookEngine, RunStats};
use crate::flowfile::Flow;
use matchcore as mc;
use matchcore::{
    AmendCmd, AmendPatch, CancelCmd, CommandKind, CommandMeta, CommandOutcome, CommandReport,
    LimitOrder, LimitOrderPatch, MarketOrder, NewOrder, OrderBook, OrderFlags, OrderId, OrderKind,
    Price, Quantity, QuantityPolicy, SequenceNumber, SubmitCmd, TimeInForce, Timestamp,
};

/// Not a matchcore id yet.
const NO_ID: u64 = u64::MAX;

#[derive(Default)]
pub struct MatchcoreBook {
    t: Translation,
    books: Vec<OrderBook>,
    seqs: Vec<u64>,
    /// Our order id -> matchcore order id.
    ids: Vec<u64>,
    /// Our order id -> total quantity in ringex's sense (filled part included).
    totals: Vec<u64>,
}

fn side(s: engine::Side) -> mc::Side {
    match s {
        engine::Side::Buy => mc::Side::Buy,
        engine::Side::Sell => mc::Side::Sell,
    }
}

/// (accepted, trades) of one outcome.
#[inline]
fn tally(o: &CommandOutcome) -> (bool, u64) {
    match o {
        CommandOutcome::Applied(CommandReport::Submit(e))
        | CommandOutcome::Applied(CommandReport::Amend(e)) => {
            let n = |x: &mc::OrderOutcome| x.match_result().map_or(0, |m| m.trades().len() as u64);
            let t = n(e.target_order()) + e.triggered_orders().iter().map(n).sum::<u64>();
            (true, t)
        }
        CommandOutcome::Applied(CommandReport::Cancel) => (true, 0),
        CommandOutcome::Rejected(_) => (false, 0),
    }
}

impl MatchcoreBook {
    #[inline]
    fn exec(&mut self, book: u32, kind: CommandKind) -> (u64, CommandOutcome) {
        let b = book as usize;
        let seq = self.seqs[b];
        self.seqs[b] += 1;
        let cmd = mc::Command {
            meta: CommandMeta {
                sequence_number: SequenceNumber(seq),
                timestamp: Timestamp(seq),
            },
            kind,
        };
        (seq, self.books[b].execute(&cmd))
    }

    #[inline]
    fn submit_limit(
        &mut self,
        book: u32,
        side: mc::Side,
        price: u64,
        qty: u64,
        tif: TimeInForce,
    ) -> (u64, CommandOutcome) {
        let order = LimitOrder::new(
            Price(price),
            QuantityPolicy::Standard {
                quantity: Quantity(qty),
            },
            OrderFlags::new(side, false, tif),
        );
        self.exec(
            book,
            CommandKind::Submit(SubmitCmd {
                order: NewOrder::Limit(order),
            }),
        )
    }

    /// The matchcore id of our order `id` (an id never placed has none).
    #[inline]
    fn mc_id(&self, id: u64) -> u64 {
        self.ids.get(id as usize).copied().unwrap_or(NO_ID)
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
                let tif = if ioc {
                    TimeInForce::Ioc
                } else {
                    TimeInForce::Gtc
                };
                let (seq, o) = self.submit_limit(book, side(s), price, qty, tif);
                self.ids[id as usize] = seq;
                self.totals[id as usize] = qty;
                tally(&o)
            }
            BookOp::Market {
                book,
                id,
                side: s,
                qty,
            } => {
                let order = MarketOrder::new(Quantity(qty), side(s), false);
                let (seq, o) = self.exec(
                    book,
                    CommandKind::Submit(SubmitCmd {
                        order: NewOrder::Market(order),
                    }),
                );
                self.ids[id as usize] = seq;
                self.totals[id as usize] = qty;
                tally(&o)
            }
            BookOp::Cancel { book, id } => {
                let cmd = CancelCmd {
                    order_id: OrderId(self.mc_id(id)),
                    order_kind: OrderKind::Limit,
                };
                tally(&self.exec(book, CommandKind::Cancel(cmd)).1)
            }
            BookOp::Amend {
                book,
                id,
                price,
                qty,
            } => self.amend(book, id, price, qty),
        }
    }

    fn amend(&mut self, book: u32, id: u64, price: Option<u64>, qty: Option<u64>) -> (bool, u64) {
        let mc_id = OrderId(self.mc_id(id));
        let Some(o) = self.books[book as usize].limit().orders().get(&mc_id) else {
            // Not resting: let matchcore say so, as ringex does.
            let patch = LimitOrderPatch {
                price: price.map(Price),
                ..LimitOrderPatch::default()
            };
            let cmd = AmendCmd {
                order_id: mc_id,
                patch: AmendPatch::Limit(patch),
            };
            return tally(&self.exec(book, CommandKind::Amend(cmd)).1);
        };
        let (open, cur_price) = (o.total_quantity().0, o.price().0);
        let total = self.totals[id as usize];
        let new_open = match qty {
            Some(q) => open as i64 - (total as i64 - q as i64),
            None => open as i64,
        };
        if new_open <= 0 {
            return (false, 0);
        }
        let new_open = new_open as u64;
        let new_price = price.unwrap_or(cur_price);
        let patch = LimitOrderPatch {
            price: (new_price != cur_price).then_some(Price(new_price)),
            quantity_policy: qty.map(|_| QuantityPolicy::Standard {
                quantity: Quantity(new_open),
            }),
            ..LimitOrderPatch::default()
        };
        let cmd = AmendCmd {
            order_id: mc_id,
            patch: AmendPatch::Limit(patch),
        };
        let r = tally(&self.exec(book, CommandKind::Amend(cmd)).1);
        if r.0 {
            self.totals[id as usize] = qty.unwrap_or(total);
        }
        r
    }
}

impl BookEngine for MatchcoreBook {
    fn name(&self) -> &'static str {
        "matchcore"
    }

    fn prepare(&mut self, flow: &Flow) -> Result<(), String> {
        self.t = translate(flow);
        self.books = self
            .t
            .books
            .iter()
            .map(|n| OrderBook::new(n.as_str()))
            .collect();
        self.seqs = vec![0; self.books.len()];
        let n = self.t.max_order_id as usize + 1;
        self.ids = vec![NO_ID; n];
        self.totals = vec![0; n];
        let mut t = std::mem::take(&mut self.t);
        let setup = t.apply_setup(|op| self.op(op).0);
        self.t = t;
        setup?;
        Ok(())
    }

    fn run(&mut self, flow: &Flow) -> RunStats {
        let mut t = std::mem::take(&mut self.t);
        let s = t.run_measured(flow.measured.len() as u64, |op| self.op(op));
        self.t = t;
        s
    }
}
