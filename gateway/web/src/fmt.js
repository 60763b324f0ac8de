// Small helpers: decimal strings padded (never rounded) for aligned columns,
// times, and DOM building.

/** `s` (a decimal string) with at least `dp` decimals; never loses digits. */
export function fix(s, dp) {
  if (s == null) return '';
  let v = String(s);
  const neg = v.startsWith('-');
  if (neg) v = v.slice(1);
  const [int, frac = ''] = v.split('.');
  const f = frac.padEnd(dp, '0');
  return `${neg ? '-' : ''}${int}${f ? `.${f}` : ''}`;
}

/** How many decimals a decimal string shows ("0.01" -> 2). */
export function dpOf(s) {
  const frac = String(s).split('.')[1];
  return frac ? frac.length : 0;
}

/** HH:MM:SS (UTC) of a nanosecond timestamp. */
export function timeOf(ns) {
  return new Date(Number(ns) / 1e6).toISOString().slice(11, 19);
}

export function el(tag, attrs = {}, children = []) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'value') n.value = v;
    else n.setAttribute(k, v);
  }
  n.append(...(Array.isArray(children) ? children : [children]));
  return n;
}

export function fill(node, children) {
  node.replaceChildren(...children);
}
