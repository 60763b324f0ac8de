//! `open_orders_page`: pages of one user's open orders, in order_id order,
//! that together hold exactly `open_orders`, whatever closes between pages
//! (the cursor's own order included), and never another user's.
mod common;
use common::*;
use engine::*;

fn page_ids(s: &Sim, user: u64, after: Option<u64>, limit: usize) -> (Vec<u64>, bool) {
    let (v, more) = s.e.open_orders_page(user, None, after, limit);
    assert!(v.iter().all(|r| r.user == user));
    (v.iter().map(|r| r.order_id).collect(), more)
}

#[test]
fn pages_cover_every_open_order_once_in_order() {
    let mut s = Sim::standard(2, None);
    for i in 0..57 {
        s.limit(1, Side::Buy, &format!("{}.00", 100 + i % 7), "0.0001");
        if i % 5 == 0 {
            s.limit(2, Side::Buy, "90.00", "0.0001");
        }
    }
    let all: Vec<u64> =
        s.e.open_orders(1, None)
            .iter()
            .map(|r| r.order_id)
            .collect();
    assert_eq!(all.len(), 57);
    for limit in [1, 2, 10, 56, 57, 58, 1000] {
        let (mut got, mut after): (Vec<u64>, _) = (Vec::new(), None);
        loop {
            let (ids, more) = page_ids(&s, 1, after, limit);
            assert!(ids.len() <= limit);
            got.extend(&ids);
            if !more {
                break;
            }
            assert_eq!(ids.len(), limit, "a page with more is full");
            after = ids.last().copied();
        }
        assert_eq!(got, all, "limit {limit}");
    }
    // The cursor's order closed between pages: the next page starts after it.
    let (first, _) = page_ids(&s, 1, None, 10);
    let cursor = *first.last().unwrap();
    s.cancel(1, cursor);
    let (next, _) = page_ids(&s, 1, Some(cursor), 5);
    let want: Vec<u64> = all
        .iter()
        .copied()
        .filter(|&i| i > cursor)
        .take(5)
        .collect();
    assert_eq!(next, want);
    // Another user's order id as the cursor is just a position, not a door.
    let other = s.e.open_orders(2, None)[0].order_id;
    let (ids, _) = page_ids(&s, 1, Some(other), 1000);
    assert!(ids.iter().all(|&i| i > other));
    // A symbol filter, an unknown user, a cursor past the end.
    let (v, more) = s.e.open_orders_page(1, Some(SymbolId(0)), None, 3);
    assert_eq!((v.len(), more), (3, true));
    assert_eq!(
        s.e.open_orders_page(99, None, None, 10),
        (Vec::new(), false)
    );
    assert_eq!(
        page_ids(&s, 1, Some(u64::MAX >> 1), 10),
        (Vec::new(), false)
    );
}
