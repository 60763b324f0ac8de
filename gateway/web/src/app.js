// The Ringex trading page: one WebSocket (/ws) for live data and order
// entry, HTTP (/api/v1/...) for history. Plain DOM, no framework.
import { fix, dpOf, timeOf, el, fill } from './fmt.js';
import { Book } from './book.js';
import { Chart, INTERVALS } from './chart.js';

const KEY = 'ringex.api_key'; // sessionStorage only: gone with the tab
const $ = (id) => document.getElementById(id);

const S = {
  ws: null,
  symbols: [],
  spec: null, // the current symbol's spec
  symbol: null,
  interval: '1m',
  user: null,
  side: 'buy',
  reqId: 0,
  reqs: new Map(), // req_id -> what the request was for
  book: new Book(),
  trades: [], // newest first
  orders: new Map(), // order_id -> execution-shaped state
  fills: new Map(), // trade_id:order_id -> trade report
  balances: {},
  resyncs: 0,
};
window.ringex = S; // for the console and the browser test

let chart;

function send(msg, kind) {
  if (!S.ws || S.ws.readyState !== WebSocket.OPEN) return null;
  const req_id = ++S.reqId;
  if (kind) S.reqs.set(req_id, kind);
  S.ws.send(JSON.stringify({ ...msg, req_id }));
  return req_id;
}

const channels = (sym, iv) => [`book:${sym}`, `trades:${sym}`, `ticker:${sym}`, `klines:${sym}:${iv}`];

// ---- connection -----------------------------------------------------------

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  S.ws = ws;
  ws.onopen = () => {
    $('conn').className = 'conn up';
    const key = sessionStorage.getItem(KEY);
    if (key) login(key);
    if (S.symbol) selectSymbol(S.symbol, true);
  };
  ws.onclose = () => {
    $('conn').className = 'conn down';
    S.user = null;
    showUser();
    setTimeout(connect, 1000);
  };
  ws.onmessage = (e) => onMessage(JSON.parse(e.data));
}

function onMessage(m) {
  const kind = m.req_id !== undefined ? S.reqs.get(m.req_id) : undefined;
  switch (m.type) {
    case 'book': return onBook(m);
    case 'trade': return onTrade(m);
    case 'ticker': return onTicker(m);
    case 'kline': return chart.onKline(m);
    case 'login': return onLogin(m);
    case 'execution': return onExecution(m, kind);
    case 'reject': return say(kind === 'place' ? 'order-msg' : 'orders-msg', `${m.op} refused: ${m.reason}`, true);
    case 'error': return onError(m, kind);
    case 'balances': Object.assign(S.balances, m.balances); return renderBalances();
    case 'open_orders':
      S.orders = new Map(m.orders.map((o) => [o.order_id, o]));
      return renderOrders();
    default: return undefined; // subscribed, unsubscribed, cancel_all
  }
}

function onError(m, kind) {
  const text = `${m.code}: ${m.message}`;
  if (kind === 'login') {
    sessionStorage.removeItem(KEY);
    say('login-msg', text, true);
  } else if (kind === 'place') say('order-msg', text, true);
  else say('orders-msg', text, true);
}

function say(id, text, bad) {
  const n = $(id);
  n.textContent = text;
  n.className = `msg ${bad ? 'err' : 'ok'}`;
}

// ---- symbol, ticker, book, tape -------------------------------------------

async function loadSymbols() {
  S.symbols = await (await fetch('/api/v1/symbols')).json();
  fill($('symbol'), S.symbols.map((s) => el('option', { value: s.symbol }, s.symbol)));
  const wanted = new URLSearchParams(location.search).get('symbol');
  return S.symbols.some((s) => s.symbol === wanted) ? wanted : S.symbols[0]?.symbol;
}

function selectSymbol(sym, reconnected) {
  const old = S.symbol;
  if (old && old !== sym && !reconnected) send({ op: 'unsubscribe', channels: channels(old, S.interval) });
  S.symbol = sym;
  S.spec = S.symbols.find((s) => s.symbol === sym);
  $('symbol').value = sym;
  S.book.reset();
  S.trades = [];
  renderBook();
  renderTape();
  chart.setSymbol(sym, S.interval, S.spec);
  send({ op: 'subscribe', channels: channels(sym, S.interval) });
  fetch(`/api/v1/executions/${sym}?limit=60`).then((r) => r.json()).then((ts) => {
    if (S.symbol === sym) ts.slice().reverse().forEach(onTrade);
  });
  for (const n of ['t-last', 't-change', 't-high', 't-low', 't-volume', 't-trades']) $(n).textContent = '–';
  document.title = `${sym} · Ringex`;
}

function selectInterval(iv) {
  if (iv === S.interval) return;
  send({ op: 'unsubscribe', channels: [`klines:${S.symbol}:${S.interval}`] });
  S.interval = iv;
  renderIntervals();
  chart.setSymbol(S.symbol, iv, S.spec);
  send({ op: 'subscribe', channels: [`klines:${S.symbol}:${iv}`] });
}

const pdp = () => dpOf(S.spec?.tick_size ?? '0.01');
const qdp = () => dpOf(S.spec?.lot_size ?? '0.0001');

function onTicker(t) {
  if (t.symbol !== S.symbol) return;
  const p = (v) => (v == null ? '–' : fix(v, pdp()));
  $('t-last').textContent = p(t.last);
  const c = $('t-change');
  if (t.change == null) {
    c.textContent = '–';
    c.className = '';
  } else {
    const up = !t.change.startsWith('-');
    c.textContent = `${up ? '+' : ''}${fix(t.change, pdp())} (${up ? '+' : ''}${t.change_pct}%)`;
    c.className = up ? 'up' : 'down';
  }
  $('t-high').textContent = p(t.high);
  $('t-low').textContent = p(t.low);
  $('t-volume').textContent = `${fix(t.volume, qdp())} ${S.spec?.base ?? ''}`;
  $('t-trades').textContent = String(t.trades);
}

function onBook(m) {
  if (m.symbol !== S.symbol) return;
  if (!S.book.apply(m)) {
    // A gap in seq: our copy is no longer the engine's. Start over from a snapshot.
    S.resyncs += 1;
    send({ op: 'unsubscribe', channels: [`book:${S.symbol}`] });
    send({ op: 'subscribe', channels: [`book:${S.symbol}`] });
  }
  renderBook();
}

const DEPTH = 12;

function renderBook() {
  const b = S.book;
  const asks = b.levels('asks', DEPTH);
  const bids = b.levels('bids', DEPTH);
  const max = Math.max(asks.at(-1)?.[2] ?? 0, bids.at(-1)?.[2] ?? 0) || 1;
  const row = (side) => ([price, qty, total]) => {
    const tr = el('tr', { 'data-price': price }, [
      el('td', { class: 'px' }, fix(price, pdp())),
      el('td', {}, fix(qty, qdp())),
      el('td', {}, total.toFixed(qdp())),
    ]);
    tr.style.setProperty('--depth', `${((100 * total) / max).toFixed(1)}%`);
    tr.addEventListener('click', () => { $('f-price').value = fix(price, pdp()); });
    tr.className = side;
    return tr;
  };
  fill($('book-asks'), asks.slice().reverse().map(row('ask')));
  fill($('book-bids'), bids.map(row('bid')));
  const spread = asks.length && bids.length ? (Number(asks[0][0]) - Number(bids[0][0])).toFixed(pdp()) : null;
  $('book-spread').textContent = spread === null ? (b.ready ? 'no spread' : 'loading…') : `spread ${spread}`;
  $('book-seq').textContent = b.ready ? `seq ${b.seq}` : '';
}

function onTrade(t) {
  if (t.symbol !== S.symbol || S.trades.some((x) => x.trade_id === t.trade_id)) return;
  S.trades.unshift(t);
  S.trades.sort((a, b) => b.trade_id - a.trade_id);
  S.trades.length = Math.min(S.trades.length, 60);
  renderTape();
}

function renderTape() {
  fill($('tape'), S.trades.map((t) => el('tr', { class: t.taker_side === 'buy' ? 'bid' : 'ask', 'data-id': t.trade_id }, [
    el('td', { class: 'px' }, fix(t.price, pdp())),
    el('td', {}, fix(t.qty, qdp())),
    el('td', { class: 'dim' }, timeOf(t.ts)),
  ])));
}

// ---- login, balances, orders, fills ---------------------------------------

function login(key) {
  say('login-msg', '', false);
  const id = send({ op: 'login', api_key: key, cancel_on_disconnect: false }, 'login');
  if (id) S.pendingKey = key;
}

function onLogin(m) {
  if (!m.ok) return say('login-msg', 'login refused', true);
  S.user = { id: m.user, role: m.role };
  sessionStorage.setItem(KEY, S.pendingKey);
  $('login-key').value = '';
  showUser();
  S.balances = {};
  S.fills.clear();
  send({ op: 'subscribe', channels: ['balances'] });
  send({ op: 'balances' });
  send({ op: 'open_orders' });
  // Trade reports from before this page: the gateway's recent ones (no history queries yet).
  fetch('/v1/execution?limit=100', { headers: { 'X-API-Key': S.pendingKey } })
    .then((r) => (r.ok ? r.json() : []))
    .then((rs) => { rs.forEach(addFill); renderFills(); });
  return undefined;
}

function logout() {
  sessionStorage.removeItem(KEY);
  S.user = null;
  S.orders.clear();
  S.fills.clear();
  S.balances = {};
  showUser();
  S.ws.close(); // reconnects without a login
}

function showUser() {
  const inn = !!S.user;
  $('login-key').hidden = inn;
  $('login-btn').hidden = inn;
  $('user').hidden = !inn;
  $('logout-btn').hidden = !inn;
  $('user').textContent = inn ? `user ${S.user.id} (${S.user.role})` : '';
  $('f-submit').disabled = !inn;
  $('cancel-all').disabled = !inn;
  if (!inn) {
    renderOrders();
    renderFills();
    renderBalances();
  }
}

function onExecution(r, kind) {
  const open = r.status === 'new' || r.status === 'partially_filled';
  if (open) S.orders.set(r.order_id, r);
  else S.orders.delete(r.order_id);
  renderOrders();
  if (r.exec_type === 'trade') {
    addFill(r);
    renderFills();
  }
  if (kind === 'place') {
    const what = `#${r.order_id} ${r.side} ${r.order_type}`;
    if (r.exec_type === 'rejected') say('order-msg', `rejected: ${r.reason}`, true);
    else if (r.exec_type === 'new') say('order-msg', `accepted ${what}`, false);
    else if (r.exec_type === 'trade') say('order-msg', `${what}: ${r.status.replace('_', ' ')} (${r.filled_qty} @ ${r.avg_price})`, false);
    else if (r.exec_type === 'canceled') say('order-msg', `${what} canceled: ${r.reason}`, true);
  }
}

function addFill(r) {
  if (r.trade_id != null) S.fills.set(`${r.trade_id}:${r.order_id}`, r);
}

function renderBalances() {
  const assets = Object.keys(S.balances).sort();
  if (!S.user || !assets.length) {
    fill($('balances'), [el('tr', { class: 'empty' }, [el('td', { colspan: 3 }, S.user ? 'No balances' : 'Log in to see balances')])]);
    return;
  }
  // One number of decimals for the whole column, so the points line up.
  const dp = Math.min(8, Math.max(2, ...assets.flatMap((a) => [dpOf(S.balances[a].available), dpOf(S.balances[a].locked)])));
  fill($('balances'), assets.map((a) => el('tr', { 'data-asset': a }, [
    el('td', { class: 'txt' }, a),
    el('td', { class: 'avail' }, fix(S.balances[a].available, dp)),
    el('td', { class: 'locked dim' }, fix(S.balances[a].locked, dp)),
  ])));
}

function renderOrders() {
  const list = [...S.orders.values()].sort((a, b) => b.order_id - a.order_id);
  if (!list.length) {
    fill($('orders'), [el('tr', { class: 'empty' }, [el('td', { colspan: 10 }, S.user ? 'No open orders' : 'Log in to trade')])]);
    return;
  }
  fill($('orders'), list.map((o) => {
    const spec = S.symbols.find((s) => s.symbol === o.symbol);
    const pd = dpOf(spec?.tick_size ?? '0.01');
    const qd = dpOf(spec?.lot_size ?? '0.0001');
    const amend = el('button', { type: 'button', class: 'small', title: 'Change price or quantity' }, 'Amend');
    const cancel = el('button', { type: 'button', class: 'small danger' }, 'Cancel');
    cancel.addEventListener('click', () => send({ op: 'cancel', symbol: o.symbol, order_id: o.order_id }, 'cancel'));
    const tr = el('tr', { 'data-id': o.order_id }, [
      el('td', { class: 'dim' }, String(o.order_id)),
      el('td', { class: 'txt wide' }, o.symbol),
      el('td', { class: `txt ${o.side === 'buy' ? 'up' : 'down'}` }, o.side),
      el('td', { class: 'txt' }, o.order_type.replace('_', ' ')),
      el('td', { class: 'price' }, o.price == null ? 'market' : fix(o.price, pd)),
      el('td', { class: 'wide' }, o.stop_price == null ? '' : fix(o.stop_price, pd)),
      el('td', { class: 'qty' }, fix(o.qty, qd)),
      el('td', {}, fix(o.filled_qty, qd)),
      el('td', { class: 'txt wide' }, o.tif),
      el('td', { class: 'act' }, [amend, cancel]),
    ]);
    amend.addEventListener('click', () => editOrder(tr, o, pd, qd));
    return tr;
  }));
}

function editOrder(tr, o, pd, qd) {
  const price = el('input', { class: 'amend-price', value: o.price == null ? '' : fix(o.price, pd), 'aria-label': 'New price' });
  const qty = el('input', { class: 'amend-qty', value: fix(o.qty, qd), 'aria-label': 'New total quantity' });
  const save = el('button', { type: 'button', class: 'small' }, 'Save');
  const back = el('button', { type: 'button', class: 'small' }, '×');
  fill(tr.querySelector('.price'), [price]);
  fill(tr.querySelector('.qty'), [qty]);
  fill(tr.querySelector('.act'), [save, back]);
  price.focus();
  back.addEventListener('click', renderOrders);
  save.addEventListener('click', () => {
    const m = { op: 'amend', symbol: o.symbol, order_id: o.order_id };
    if (price.value.trim()) m.price = price.value.trim();
    if (qty.value.trim()) m.qty = qty.value.trim();
    say('orders-msg', '', false);
    send(m, 'amend');
  });
}

function renderFills() {
  const list = [...S.fills.values()].sort((a, b) => b.ts - a.ts || b.trade_id - a.trade_id).slice(0, 200);
  if (!list.length) {
    fill($('fills'), [el('tr', { class: 'empty' }, [el('td', { colspan: 7 }, S.user ? 'No fills yet' : 'Log in to see your fills')])]);
    return;
  }
  fill($('fills'), list.map((f) => {
    const spec = S.symbols.find((s) => s.symbol === f.symbol);
    return el('tr', { 'data-trade': f.trade_id }, [
      el('td', { class: 'dim' }, timeOf(f.ts)),
      el('td', { class: 'txt wide' }, f.symbol),
      el('td', { class: `txt ${f.side === 'buy' ? 'up' : 'down'}` }, f.side),
      el('td', {}, fix(f.last_price, dpOf(spec?.tick_size ?? '0.01'))),
      el('td', {}, fix(f.last_qty, dpOf(spec?.lot_size ?? '0.0001'))),
      el('td', {}, `${f.fee} ${f.fee_asset}`),
      el('td', { class: 'txt dim wide' }, f.liquidity),
    ]);
  }));
}

// ---- order entry ------------------------------------------------------------

function setSide(side) {
  S.side = side;
  $('f-buy').classList.toggle('on', side === 'buy');
  $('f-sell').classList.toggle('on', side === 'sell');
  const b = $('f-submit');
  b.className = `submit ${side}`;
  b.textContent = side === 'buy' ? 'Buy' : 'Sell';
}

function showFields() {
  const t = $('f-type').value;
  const show = { price: t === 'limit' || t === 'stop_limit', stop: t.startsWith('stop'), iceberg: t === 'limit', post: t === 'limit' };
  for (const n of document.querySelectorAll('#order [data-for]')) n.hidden = !show[n.dataset.for];
}

function placeOrder(e) {
  e.preventDefault();
  const v = (id) => $(id).value.trim();
  const t = v('f-type');
  const m = { op: 'place', symbol: S.symbol, side: S.side, type: t, qty: v('f-qty'), tif: v('f-tif'), stp: v('f-stp') };
  if (t === 'limit' || t === 'stop_limit') m.price = v('f-price');
  if (t.startsWith('stop')) m.stop_price = v('f-stop');
  if (t === 'limit') {
    m.post_only = $('f-post').checked;
    if (v('f-display')) m.display_qty = v('f-display');
  }
  say('order-msg', 'sending…', false);
  if (!send(m, 'place')) say('order-msg', 'not connected', true);
}

function renderIntervals() {
  fill($('intervals'), INTERVALS.map((iv) => {
    const b = el('button', { type: 'button', class: iv === S.interval ? 'on' : '', 'data-iv': iv }, iv);
    b.addEventListener('click', () => selectInterval(iv));
    return b;
  }));
}

// ---- start ------------------------------------------------------------------

async function main() {
  chart = new Chart($('chart'), $('legend'));
  renderIntervals();
  showUser();
  showFields();
  $('symbol').addEventListener('change', (e) => selectSymbol(e.target.value));
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const k = $('login-key').value.trim();
    if (k) login(k);
  });
  $('logout-btn').addEventListener('click', logout);
  $('f-buy').addEventListener('click', () => setSide('buy'));
  $('f-sell').addEventListener('click', () => setSide('sell'));
  $('f-type').addEventListener('change', showFields);
  $('order').addEventListener('submit', placeOrder);
  $('cancel-all').addEventListener('click', () => send({ op: 'cancel_all' }, 'cancel'));
  S.symbol = await loadSymbols();
  connect();
}

main();
