// End-to-end test of the trading page in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core) against a running demo
// `ringex`. scripts/test.sh starts the server and passes:
//   RINGEX_URL     http://127.0.0.1:PORT
//   RINGEX_KEY_1   the page's trader (demo user 1)
//   RINGEX_KEY_2   the counterparty, over the WebSocket API from here
//   RINGEX_E2E_OUT where screenshots go (default ../../target/web-e2e)
// Run with `node --experimental-websocket` (Node 20 has WebSocket behind a flag).
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL_ = process.env.RINGEX_URL;
const KEY1 = process.env.RINGEX_KEY_1;
const KEY2 = process.env.RINGEX_KEY_2;
const OUT = process.env.RINGEX_E2E_OUT ?? new URL('../../../target/web-e2e', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!URL_ || !KEY1 || !KEY2) {
  console.error('web e2e: RINGEX_URL, RINGEX_KEY_1 and RINGEX_KEY_2 must be set (scripts/test.sh does)');
  process.exit(2);
}
if (typeof WebSocket === 'undefined') {
  console.error('web e2e: no WebSocket in this Node; run with --experimental-websocket');
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
rmSync(join(OUT, 'failure.png'), { force: true });

const log = []; // the browser's console, page errors and failed requests
let step = 'start';

/** A second session over the public WebSocket API. */
class Client {
  constructor(url) {
    this.msgs = [];
    this.reqId = 0;
    this.ws = new WebSocket(url);
    this.ws.onmessage = (e) => this.msgs.push(JSON.parse(e.data));
    this.opened = new Promise((ok, err) => {
      this.ws.onopen = ok;
      this.ws.onerror = () => err(new Error(`cannot connect to ${url}`));
    });
  }

  send(m) {
    const req_id = ++this.reqId;
    this.ws.send(JSON.stringify({ ...m, req_id }));
    return req_id;
  }

  async until(pred, what, ms = 10_000) {
    const end = Date.now() + ms;
    for (;;) {
      const m = this.msgs.find(pred);
      if (m) return m;
      if (Date.now() > end) throw new Error(`counterparty: no ${what}; got ${JSON.stringify(this.msgs)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async request(m, what) {
    const id = this.send(m);
    return this.until((x) => x.req_id === id && x.type !== 'subscribed', what);
  }
}

async function main() {
  const profile = mkdtempSync(join(tmpdir(), 'ringex-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.stack ?? e}`));
  page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) log.push(`[http ${r.status()}] ${r.url()}`); });
  const wait = (fn, arg, what) => page.waitForFunction(fn, arg, { timeout: 10_000 }).catch((e) => {
    throw new Error(`${what}: ${e.message.split('\n')[0]}`);
  });
  const text = (sel) => page.locator(sel).first().innerText();
  const counterparty = new Client(`${URL_.replace(/^http/, 'ws')}/ws`);

  try {
    step = 'load the page';
    const res = await page.goto(URL_);
    if (res.status() !== 200) throw new Error(`GET / answered ${res.status()}`);
    await wait(() => document.querySelector('#symbol').value === 'BTC-USD', null, 'symbol picker shows BTC-USD');
    await wait(() => window.ringex?.book.ready && document.querySelector('#conn').classList.contains('up'), null, 'book snapshot over the WebSocket');

    step = 'log in';
    await page.fill('#login-key', 'not-a-key');
    await page.click('#login-btn');
    await wait(() => document.querySelector('#login-msg').textContent.includes('unauthenticated'), null, 'a bad key is refused next to the login');
    await page.fill('#login-key', KEY1);
    await page.click('#login-btn');
    await wait(() => document.querySelector('#user').textContent.startsWith('user 1'), null, 'logged in as user 1');
    await wait(() => document.querySelector('#balances tr[data-asset="BTC"] .avail')?.textContent === '10.00', null, 'BTC balance 10.00');
    const stored = await page.evaluate(() => [sessionStorage.length, localStorage.length]);
    if (stored[0] !== 1 || stored[1] !== 0) throw new Error(`the key must live in sessionStorage only: ${stored}`);

    step = 'the API error shows next to the form';
    await page.fill('#f-price', '100.001');
    await page.fill('#f-qty', '1');
    await page.click('#f-submit');
    await wait(() => document.querySelector('#order-msg.err')?.textContent.length > 0, null, 'an off-tick price is refused next to the form');
    const refused = await text('#order-msg');

    step = 'place buys';
    await page.fill('#f-price', '100');
    await page.fill('#f-qty', '1');
    await page.click('#f-submit');
    await wait(() => document.querySelector('#order-msg.ok')?.textContent.startsWith('accepted'), null, 'buy 1 @ 100 accepted');
    await page.fill('#f-price', '99');
    await page.fill('#f-qty', '2');
    await page.click('#f-submit');
    await wait(() => document.querySelectorAll('#orders tr[data-id]').length === 2, null, 'two open orders');
    await wait(() => document.querySelector('#book-bids tr[data-price="100"] td:nth-child(2)')?.textContent === '1.0000', null, 'bid 100 x 1 in the book');
    await wait(() => !!document.querySelector('#book-bids tr[data-price="99"]'), null, 'bid 99 in the book');
    let [idB, idA] = await page.$$eval('#orders tr[data-id]', (rs) => rs.map((r) => Number(r.dataset.id)));

    step = 'trade from a second session';
    await counterparty.opened;
    const login = await counterparty.request({ op: 'login', api_key: KEY2 }, 'login');
    if (!login.ok || login.user !== 2) throw new Error(`counterparty login: ${JSON.stringify(login)}`);
    const sid = counterparty.send({ op: 'place', symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '100', qty: '0.4', tif: 'ioc' });
    const fill = await counterparty.until((m) => m.req_id === sid && m.exec_type === 'trade', 'trade report for the sell');
    if (fill.last_price !== '100' || fill.last_qty !== '0.4') throw new Error(`unexpected fill ${JSON.stringify(fill)}`);

    step = 'see the trade in the tape, the candle, the balances, the fills and the book';
    await wait(() => {
      const r = document.querySelector('#tape tr');
      return r && r.children[0].textContent === '100.00' && r.children[1].textContent === '0.4000' && r.className === 'ask';
    }, null, 'tape shows the sell 0.4 @ 100');
    await wait(() => document.querySelector('#legend').dataset.close === '100' && document.querySelector('#legend').dataset.volume === '0.4', null, 'candle closes at 100 with volume 0.4');
    // A resting buy is the maker: 10 bps of 0.4 BTC in fees.
    await wait(() => document.querySelector('#balances tr[data-asset="BTC"] .avail')?.textContent === '10.3996', null, 'BTC available 10.3996');
    await wait((t) => document.querySelector(`#fills tr[data-trade="${t}"]`)?.innerText.includes('maker'), fill.trade_id, 'the fill is listed');
    await wait((id) => document.querySelector(`#orders tr[data-id="${id}"] td:nth-child(8)`)?.textContent === '0.4000', idA, 'order A shows 0.4 filled');
    await wait(() => document.querySelector('#book-bids tr[data-price="100"] td:nth-child(2)')?.textContent === '0.6000', null, 'bid 100 down to 0.6');
    await wait(() => document.querySelector('#t-last').textContent === '100.00', null, 'ticker last 100.00');

    step = 'a gap in the book resubscribes';
    await page.evaluate(() => { window.ringex.book.seq -= 1; });
    await counterparty.request({ op: 'place', symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '105', qty: '0.1' }, 'sell 105');
    await wait(() => window.ringex.resyncs === 1 && window.ringex.book.ready && !!document.querySelector('#book-asks tr[data-price="105"]'), null, 'resynced book holds the ask at 105');

    step = 'amend and cancel';
    await page.click(`#orders tr[data-id="${idB}"] button:has-text("Amend")`);
    await page.fill(`#orders tr[data-id="${idB}"] .amend-price`, '99.5');
    await page.fill(`#orders tr[data-id="${idB}"] .amend-qty`, '3');
    await page.click(`#orders tr[data-id="${idB}"] button:has-text("Save")`);
    await wait((id) => document.querySelector(`#orders tr[data-id="${id}"] .price`)?.textContent === '99.50' && document.querySelector(`#orders tr[data-id="${id}"] .qty`)?.textContent === '3.0000', idB, 'order B amended to 3 @ 99.50');
    await wait(() => !!document.querySelector('#book-bids tr[data-price="99.5"]') && !document.querySelector('#book-bids tr[data-price="99"]'), null, 'the book moved 99 -> 99.5');
    await page.click(`#orders tr[data-id="${idB}"] button:has-text("Cancel")`);
    await wait((id) => !document.querySelector(`#orders tr[data-id="${id}"]`), idB, 'order B gone from open orders');
    await wait(() => !document.querySelector('#book-bids tr[data-price="99.5"]'), null, 'bid 99.5 gone from the book');

    step = 'stop-limit, iceberg and post-only orders';
    await page.selectOption('#f-type', 'stop_limit');
    await page.click('#f-sell');
    await page.fill('#f-stop', '95');
    await page.fill('#f-price', '94.5');
    await page.fill('#f-qty', '0.1');
    await page.click('#f-submit');
    await wait(() => [...document.querySelectorAll('#orders tr[data-id]')].some((r) => r.innerText.includes('stop limit') && r.children[5].textContent === '95.00'), null, 'stop-limit sell listed with its stop price');
    if (await page.isVisible('#f-display')) throw new Error('the iceberg field belongs to limit orders only');
    await page.selectOption('#f-type', 'limit');
    await page.click('#f-buy');
    await page.fill('#f-price', '97');
    await page.fill('#f-qty', '1');
    await page.fill('#f-display', '0.2');
    await page.check('#f-post');
    await page.click('#f-submit');
    await wait(() => document.querySelector('#book-bids tr[data-price="97"] td:nth-child(2)')?.textContent === '0.2000', null, 'iceberg shows 0.2 of 1 at 97');
    await page.fill('#f-display', '');
    await page.uncheck('#f-post');
    await page.fill('#f-price', '105');
    await page.check('#f-post');
    await page.click('#f-submit');
    await wait(() => /post_only/.test(document.querySelector('#order-msg.err')?.textContent ?? ''), null, 'a crossing post-only buy is canceled, the reason next to the form');
    await page.uncheck('#f-post');
    await page.click('#cancel-all');
    await wait(() => document.querySelector('#orders tr.empty') && !document.querySelector('#book-bids tr'), null, 'cancel all empties open orders and the bids');
    // That took order A too: place it again for the rest.
    await page.fill('#f-price', '100');
    await page.fill('#f-qty', '0.6');
    await page.click('#f-submit');
    await wait(() => document.querySelectorAll('#orders tr[data-id]').length === 1, null, 'one open order again');
    idA = await page.$eval('#orders tr[data-id]', (r) => Number(r.dataset.id));

    step = 'symbol picker';
    await page.selectOption('#symbol', 'ETH-USD');
    await wait(() => window.ringex.book.ready && document.querySelector('#book-spread').textContent === 'no spread' && document.querySelector('#legend').textContent === 'no trades yet' && !document.querySelector('#tape tr'), null, 'ETH-USD: empty book, chart and tape');
    await page.selectOption('#symbol', 'BTC-USD');
    await wait(() => window.ringex.book.ready && !!document.querySelector('#book-asks tr[data-price="105"]') && document.querySelector('#legend').dataset.close === '100', null, 'back on BTC-USD');

    step = 'interval picker and reload';
    await page.click('#intervals button[data-iv="1h"]');
    await wait(() => document.querySelector('#intervals button.on')?.dataset.iv === '1h' && document.querySelector('#legend').dataset.close === '100', null, '1h candle from history');
    await page.click('#intervals button[data-iv="1m"]');
    await page.reload();
    await wait(() => document.querySelector('#user').textContent.startsWith('user 1'), null, 'still logged in after a reload (sessionStorage)');
    await wait((id) => !!document.querySelector(`#orders tr[data-id="${id}"]`), idA, 'open orders after a reload');
    await wait((t) => !!document.querySelector(`#fills tr[data-trade="${t}"]`), fill.trade_id, 'fills after a reload (GET /v1/execution)');
    await wait(() => document.querySelector('#legend').dataset.close === '100' && document.querySelector('#tape tr td')?.textContent === '100.00', null, 'chart and tape from history after a reload');
    // Some flow on the page for the screenshot: more levels and a few trades.
    await page.fill('#f-price', '98.75');
    await page.fill('#f-qty', '0.5');
    await page.click('#f-submit');
    for (const [side, price, qty] of [['sell', '101.25', '0.8'], ['sell', '102', '1.5'], ['sell', '100', '0.1'], ['sell', '100', '0.05']]) {
      await counterparty.request({ op: 'place', symbol: 'BTC-USD', side, type: 'limit', price, qty }, `${side} ${price}`);
    }
    await wait(() => document.querySelectorAll('#tape tr').length >= 3, null, 'three trades in the tape');
    // The page's user takes liquidity too: buy 0.3 at 101.25 (the counterparty's ask).
    await page.fill('#f-price', '101.25');
    await page.fill('#f-qty', '0.3');
    await page.click('#f-submit');
    await wait(() => document.querySelector('#legend').dataset.close === '101.25', null, 'candle closes at 101.25 after the page bought');
    await wait(() => [...document.querySelectorAll('#fills tr')].some((r) => r.innerText.includes('taker')), null, 'a taker fill');
    await page.fill('#f-price', '');
    await page.fill('#f-qty', '');

    step = 'screenshots';
    await page.screenshot({ path: join(OUT, 'page.png') });
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUT, 'page-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    step = 'cancel the last order';
    await page.click(`#orders tr[data-id="${idA}"] button:has-text("Cancel")`);
    await wait((id) => !document.querySelector(`#orders tr[data-id="${id}"]`), idA, 'order A canceled');

    const errors = log.filter((l) => l.startsWith('[pageerror]') || l.startsWith('[console.error]'));
    if (errors.length) throw new Error(`the page logged errors:\n${errors.join('\n')}`);
    console.log(`web e2e: ok (refused as expected: "${refused}"; screenshots in ${OUT})`);
  } catch (e) {
    console.error(`web e2e: FAILED at step "${step}": ${e.message}`);
    await page.screenshot({ path: join(OUT, 'failure.png') }).catch(() => {});
    console.error(`--- browser console (${log.length} lines) ---\n${log.join('\n')}\n--- end of browser console ---`);
    console.error(`screenshot of the failure: ${join(OUT, 'failure.png')}`);
    process.exitCode = 1;
  } finally {
    counterparty.ws.close();
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
