// Candles and volume with TradingView's lightweight-charts: history from
// GET /api/v1/klines, then live bars from the `klines` channel.
import { createChart, CandlestickSeries, HistogramSeries, ColorType } from 'lightweight-charts';
import { fix, dpOf } from './fmt.js';

export const INTERVALS = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'];
const UP = '#26a69a';
const DOWN = '#ef5350';

const timeOf = (k) => Math.round(k.open_time / 1e9); // seconds, UTC
const bar = (k) => ({ time: timeOf(k), open: +k.open, high: +k.high, low: +k.low, close: +k.close });
const vol = (k) => ({ time: timeOf(k), value: +k.volume, color: +k.close >= +k.open ? `${UP}80` : `${DOWN}80` });

export class Chart {
  constructor(node, legend) {
    this.legend = legend;
    this.chart = createChart(node, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: '#9aa4b2', fontSize: 11 },
      grid: { vertLines: { color: '#1e2630' }, horzLines: { color: '#1e2630' } },
      rightPriceScale: { borderColor: '#2a3441' },
      timeScale: { borderColor: '#2a3441', timeVisible: true, secondsVisible: false, rightOffset: 6, barSpacing: 10 },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false,
    });
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
    this.volume = this.chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'vol', lastValueVisible: false, priceLineVisible: false });
    this.chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    this.chart.subscribeCrosshairMove((p) => this.showLegend(p.time));
    this.bars = new Map();
  }

  setSymbol(symbol, interval, spec) {
    const key = `${symbol}:${interval}`;
    this.key = key;
    this.bars = new Map();
    this.last = 0;
    this.pending = [];
    this.loading = true;
    this.pdp = dpOf(spec?.tick_size ?? '0.01');
    this.qdp = dpOf(spec?.lot_size ?? '0.0001');
    this.candles.applyOptions({ priceFormat: { type: 'price', precision: this.pdp, minMove: Number(spec?.tick_size ?? '0.01') } });
    this.candles.setData([]);
    this.volume.setData([]);
    this.showLegend();
    fetch(`/api/v1/klines/${symbol}/${interval}?limit=1000`)
      .then((r) => (r.ok ? r.json() : []))
      .then((ks) => {
        if (this.key !== key) return;
        for (const k of ks) this.bars.set(timeOf(k), k);
        this.last = ks.length ? timeOf(ks.at(-1)) : 0;
        this.candles.setData(ks.map(bar));
        this.volume.setData(ks.map(vol));
        this.loading = false;
        const pending = this.pending;
        this.pending = [];
        pending.forEach((k) => this.onKline(k));
        this.showLegend();
      });
  }

  onKline(k) {
    if (`${k.symbol}:${k.interval}` !== this.key) return;
    if (this.loading) {
      this.pending.push(k);
      return;
    }
    const t = timeOf(k);
    if (t < this.last) return; // older than what we show: the chart only appends or updates the last bar
    this.last = t;
    this.bars.set(t, k);
    this.candles.update(bar(k));
    this.volume.update(vol(k));
    this.showLegend();
  }

  /** O/H/L/C/V of the bar under the crosshair, else of the newest. */
  showLegend(time) {
    const k = this.bars.get(time) ?? this.bars.get(this.last);
    if (!k) {
      this.legend.textContent = this.loading ? 'loading…' : 'no trades yet';
      delete this.legend.dataset.time;
      return;
    }
    const p = (v) => fix(v, this.pdp);
    this.legend.dataset.time = String(timeOf(k));
    this.legend.dataset.close = k.close;
    this.legend.dataset.volume = k.volume;
    this.legend.className = `legend num ${+k.close >= +k.open ? 'up' : 'down'}`;
    this.legend.textContent = `O ${p(k.open)}  H ${p(k.high)}  L ${p(k.low)}  C ${p(k.close)}  V ${fix(k.volume, this.qdp)}  (${k.trades} trades)`;
  }
}
