//! Execution reports: what an order's report says at a given moment.
//!
//! What it owns: building an [`ExecReport`] from an order in the slab, and
//! appending it to the caller's event buffer.
//!
//! What must hold: a report describes the order *after* the change it
//! reports (status from `filled` against `qty`, `remaining` zero once the
//! order is no longer open) and carries the sequence and time of the command
//! that caused it. It reads state only; it never changes it.

use super::Stamp;
use crate::*;

impl Engine {
    /// Appends the report of the order at `idx`.
    #[inline(always)]
    pub(super) fn push_report(
        &self,
        out: &mut Vec<Event>,
        st: Stamp,
        idx: u32,
        exec_type: ExecType,
        reason: Option<Reason>,
        fill: Option<Fill>,
    ) {
        // Written without its client order id, then patched: building the
        // 38-byte `Option<ClOrdId>` apart and copying it in costs more than
        // the patch, which most orders (without one) skip.
        out.push(Event::Execution(
            self.report_without_clid(st, idx, exec_type, reason, fill),
        ));
        if self.orders[idx as usize].has_clid {
            self.patch_clid(out, idx);
        }
    }

    #[cold]
    #[inline(never)]
    fn patch_clid(&self, out: &mut [Event], idx: u32) {
        if let Some(Event::Execution(r)) = out.last_mut() {
            r.client_order_id = self.clid(idx);
        }
    }

    /// The report of the order at `idx`, client order id included.
    pub(super) fn report(
        &self,
        st: Stamp,
        idx: u32,
        exec_type: ExecType,
        reason: Option<Reason>,
        fill: Option<Fill>,
    ) -> ExecReport {
        ExecReport {
            client_order_id: self.clid(idx),
            ..self.report_without_clid(st, idx, exec_type, reason, fill)
        }
    }

    #[inline(always)]
    fn report_without_clid(
        &self,
        st: Stamp,
        idx: u32,
        exec_type: ExecType,
        reason: Option<Reason>,
        fill: Option<Fill>,
    ) -> ExecReport {
        let o = &self.orders[idx as usize];
        let status = match exec_type {
            ExecType::Canceled => OrderStatus::Canceled,
            _ if o.filled == o.qty => OrderStatus::Filled,
            _ if o.filled.get() > 0 => OrderStatus::PartiallyFilled,
            _ => OrderStatus::New,
        };
        let open = matches!(status, OrderStatus::New | OrderStatus::PartiallyFilled);
        ExecReport {
            seq: st.seq,
            ts_ns: st.ts_ns,
            user: o.user,
            order_id: o.id,
            client_order_id: None,
            symbol: Some(o.symbol),
            side: o.side,
            order_type: o.order_type,
            tif: o.tif,
            exec_type,
            status,
            reason,
            price: o.limit(),
            stop_price: o.order_type.is_stop().then_some(o.stop_price),
            qty: o.qty,
            filled: o.filled,
            remaining: if open {
                Lots::new(o.remaining())
            } else {
                Lots::ZERO
            },
            cum_quote: Units::new(o.cum_quote),
            fill,
        }
    }
}
