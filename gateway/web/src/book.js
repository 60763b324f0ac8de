// The L2 book as the `book` channel describes it: a snapshot, then deltas
// whose `prev_seq` names the message they follow.

export class Book {
  constructor() {
    this.reset();
  }

  reset() {
    this.ready = false; // false until a snapshot arrives
    this.seq = null;
    this.bids = new Map(); // price string -> qty string
    this.asks = new Map();
  }

  /** Applies one message; false when it does not follow the last one (a gap). */
  apply(m) {
    if (m.snapshot) {
      this.bids = new Map(m.bids);
      this.asks = new Map(m.asks);
      this.seq = m.seq;
      this.ready = true;
      return true;
    }
    if (!this.ready) return true; // resubscribed: deltas wait for the snapshot
    if (m.prev_seq !== this.seq) {
      this.ready = false;
      return false;
    }
    for (const [side, levels] of [[this.bids, m.bids], [this.asks, m.asks]]) {
      for (const [price, qty] of levels) {
        if (Number(qty) === 0) side.delete(price);
        else side.set(price, qty);
      }
    }
    this.seq = m.seq;
    return true;
  }

  /** The best `n` levels of a side as [price, qty, cumulative qty]. */
  levels(which, n) {
    const side = which === 'bids' ? this.bids : this.asks;
    const dir = which === 'bids' ? -1 : 1;
    const prices = [...side.keys()].sort((a, b) => dir * (Number(a) - Number(b))).slice(0, n);
    let total = 0;
    return prices.map((p) => {
      total += Number(side.get(p));
      return [p, side.get(p), total];
    });
  }
}
