//! Why the benchmarks run a patched matchcore: as shipped (0.4.0), a limit
//! buy larger than what rests at or below its limit sweeps on through the
//! asks above its limit (matchcore issue #167). The patched copy in
//! `benches/vendor/matchcore` stops at the limit and rests the rest, as
//! ringex and every exchange do.

macro_rules! sweep {
    ($mc:ident) => {{
        use $mc::{
            Command, CommandKind, CommandMeta, CommandOutcome, CommandReport, LimitOrder, NewOrder,
            OrderBook, OrderFlags, Price, Quantity, QuantityPolicy, SequenceNumber, Side,
            SubmitCmd, TimeInForce, Timestamp,
        };
        let mut book = OrderBook::new("T");
        let mut seq = 0u64;
        let mut submit = |side, price, qty| {
            let order = LimitOrder::new(
                Price(price),
                QuantityPolicy::Standard {
                    quantity: Quantity(qty),
                },
                OrderFlags::new(side, false, TimeInForce::Gtc),
            );
            let cmd = Command {
                meta: CommandMeta {
                    sequence_number: SequenceNumber(seq),
                    timestamp: Timestamp(seq),
                },
                kind: CommandKind::Submit(SubmitCmd {
                    order: NewOrder::Limit(order),
                }),
            };
            seq += 1;
            book.execute(&cmd)
        };
        submit(Side::Sell, 100, 5);
        submit(Side::Sell, 105, 5);
        // A buy of 8 limited at 100: 5 rest at or below 100.
        match submit(Side::Buy, 100, 8) {
            CommandOutcome::Applied(CommandReport::Submit(e)) => e
                .target_order()
                .match_result()
                .map_or(0, |m| m.executed_quantity().0),
            other => panic!("{other:?}"),
        }
    }};
}

#[test]
fn shipped_matchcore_trades_through_the_limit_and_the_patched_copy_does_not() {
    let shipped: u64 = sweep!(matchcore_shipped);
    let patched: u64 = sweep!(matchcore);
    assert_eq!(
        shipped, 8,
        "as shipped, 3 more are taken at 105, above the limit"
    );
    assert_eq!(patched, 5, "patched: only what rests within the limit");
}
