//! Assets and symbols: their specs and the conversions between edge decimals
//! and engine integers.
//!
//! What holds: a symbol exists only if its `lot_size` is a whole number of base
//! units and `tick_size * lot_size` a whole number of quote units, so that
//! `price * qty` of any order is an exact number of quote units:
//! `quote = ticks * lots * quote_per_tick_lot`. The same validation serves the
//! engine and any mirror of the directory kept outside it (the gateway's), so
//! both agree on what exists.

use crate::command::SymbolSpec;
use crate::event::Reason;
use crate::types::*;
use bincode::{Decode, Encode};
use rustc_hash::FxHashMap;

#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct AssetInfo {
    pub name: Name,
    pub scale: u8,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct SymbolInfo {
    pub spec: SymbolSpec,
    pub id: SymbolId,
    pub base: AssetId,
    pub quote: AssetId,
    /// Base units in one lot.
    pub base_per_lot: i64,
    /// Quote units in one tick times one lot.
    pub quote_per_tick_lot: i64,
    /// `min_qty` in lots.
    pub min_lots: i64,
    /// Price band as the fraction `band_num / band_den` of the reference price
    /// (`pct / 100`), when set.
    pub band: Option<(i64, i64)>,
}

/// A symbol's trading rules in engine integers (assets, tick and lot,
/// minimum, conversion factors, fees, band): what matching needs of it,
/// small enough to copy on the hot path (a [`SymbolInfo`] is about 190
/// bytes, mostly names).
#[derive(Copy, Clone, Debug)]
pub(crate) struct SymbolRules {
    pub id: SymbolId,
    pub base: AssetId,
    pub quote: AssetId,
    pub tick: Fixed,
    pub lot: Fixed,
    pub min_lots: i64,
    pub base_per_lot: i64,
    pub quote_per_tick_lot: i64,
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
    pub band: Option<(i64, i64)>,
}

impl SymbolRules {
    #[inline]
    pub fn price_to_ticks(&self, p: Fixed) -> Option<Ticks> {
        p.div_exact(self.tick).map(Ticks::new)
    }
    #[inline]
    pub fn qty_to_lots(&self, q: Fixed) -> Option<Lots> {
        q.div_exact(self.lot).map(Lots::new)
    }
    /// Quote units for `lots` at `price`, `None` on overflow.
    #[inline]
    pub fn quote_units(&self, price: Ticks, lots: Lots) -> Option<i64> {
        // Three i64 factors can overflow even an i128 (found by fuzzing).
        let v = (price.get() as i128)
            .checked_mul(lots.get() as i128)?
            .checked_mul(self.quote_per_tick_lot as i128)?;
        i64::try_from(v).ok()
    }
    /// Base units in `lots`, `None` on overflow.
    #[inline]
    pub fn base_units(&self, lots: Lots) -> Option<i64> {
        lots.get().checked_mul(self.base_per_lot)
    }
    /// Is `price` inside the band around the reference price `reference`
    /// for an order on `side`? Always true without a band or a reference.
    #[inline]
    pub fn in_band(&self, side: Side, price: Ticks, reference: Option<Ticks>) -> bool {
        let (Some((num, den)), Some(l)) = (self.band, reference) else {
            return true;
        };
        let p = price.get() as i128 * den as i128;
        let l = l.get() as i128;
        match side {
            Side::Buy => p <= l * (den + num) as i128,
            Side::Sell => p >= l * (den - num) as i128,
        }
    }
}

impl SymbolInfo {
    #[inline]
    pub(crate) fn rules(&self) -> SymbolRules {
        SymbolRules {
            id: self.id,
            base: self.base,
            quote: self.quote,
            tick: self.spec.tick_size,
            lot: self.spec.lot_size,
            min_lots: self.min_lots,
            base_per_lot: self.base_per_lot,
            quote_per_tick_lot: self.quote_per_tick_lot,
            maker_fee_bps: self.spec.maker_fee_bps,
            taker_fee_bps: self.spec.taker_fee_bps,
            band: self.band,
        }
    }
    pub fn price_to_ticks(&self, p: Fixed) -> Option<Ticks> {
        self.rules().price_to_ticks(p)
    }
    pub fn qty_to_lots(&self, q: Fixed) -> Option<Lots> {
        self.rules().qty_to_lots(q)
    }
    pub fn ticks_to_fixed(&self, t: Ticks) -> Fixed {
        mul_fixed(self.spec.tick_size, t.get())
    }
    pub fn lots_to_fixed(&self, l: Lots) -> Fixed {
        mul_fixed(self.spec.lot_size, l.get())
    }
    /// Quote units for `lots` at `price`, `None` on overflow.
    pub fn quote_units(&self, price: Ticks, lots: Lots) -> Option<i64> {
        self.rules().quote_units(price, lots)
    }
    /// Base units in `lots`, `None` on overflow.
    pub fn base_units(&self, lots: Lots) -> Option<i64> {
        self.rules().base_units(lots)
    }
    /// Is `price` inside the band around the reference price `reference`
    /// for an order on `side`? Always true without a band or a reference.
    pub fn in_band(&self, side: Side, price: Ticks, reference: Option<Ticks>) -> bool {
        self.rules().in_band(side, price, reference)
    }
}

/// `f * k` as a decimal; widens through `i128` and drops trailing zeros so
/// that it always fits (values in the engine are bounded by `i64` units).
fn mul_fixed(f: Fixed, k: i64) -> Fixed {
    let mut m = f.mantissa as i128 * k as i128;
    let mut s = f.scale;
    while m > i64::MAX as i128 || m < i64::MIN as i128 {
        // Cannot happen for values the engine accepted; keep the magnitude.
        m /= 10;
        s = s.saturating_sub(1);
    }
    Fixed::new(m as i64, s).normalized()
}

/// Units of an asset as a decimal.
pub fn units_to_fixed(scale: u8, u: Units) -> Fixed {
    Fixed::new(u.get(), scale).normalized()
}

/// All assets and symbols, in creation order.
#[derive(Clone, Default, Debug)]
pub struct Directory {
    assets: Vec<AssetInfo>,
    symbols: Vec<SymbolInfo>,
    /// `symbols[i].rules()`, computed once.
    rules: Vec<SymbolRules>,
    asset_ids: FxHashMap<Name, AssetId>,
    symbol_ids: FxHashMap<Name, SymbolId>,
}

impl Directory {
    pub fn assets(&self) -> &[AssetInfo] {
        &self.assets
    }
    pub fn symbols(&self) -> &[SymbolInfo] {
        &self.symbols
    }
    #[inline]
    pub fn asset(&self, id: AssetId) -> &AssetInfo {
        &self.assets[id.0 as usize]
    }
    #[inline]
    pub fn symbol(&self, id: SymbolId) -> &SymbolInfo {
        &self.symbols[id.0 as usize]
    }
    /// A symbol's trading rules, as matching reads them.
    #[inline]
    pub(crate) fn rules(&self, id: SymbolId) -> &SymbolRules {
        &self.rules[id.0 as usize]
    }
    #[inline]
    pub fn asset_id(&self, name: &Name) -> Option<AssetId> {
        self.asset_ids.get(name).copied()
    }
    #[inline]
    pub fn symbol_id(&self, name: &Name) -> Option<SymbolId> {
        self.symbol_ids.get(name).copied()
    }

    /// Adds an asset. `Exists` for a known name; `Unsupported` for a scale above 18.
    pub fn add_asset(
        &mut self,
        name: Name,
        scale: u8,
        assets_max: usize,
    ) -> Result<AssetId, Reason> {
        if self.asset_ids.contains_key(&name) {
            return Err(Reason::Exists);
        }
        if scale > FIXED_SCALE_MAX {
            return Err(Reason::Unsupported);
        }
        if self.assets.len() >= assets_max.min(u16::MAX as usize) {
            return Err(Reason::LimitReached);
        }
        let id = AssetId(self.assets.len() as u16);
        self.assets.push(AssetInfo { name, scale });
        self.asset_ids.insert(name, id);
        Ok(id)
    }

    /// Validates and adds a symbol.
    pub fn add_symbol(&mut self, spec: SymbolSpec, symbols_max: usize) -> Result<SymbolId, Reason> {
        if self.symbol_ids.contains_key(&spec.symbol) {
            return Err(Reason::Exists);
        }
        let base = self.asset_id(&spec.base).ok_or(Reason::UnknownAsset)?;
        let quote = self.asset_id(&spec.quote).ok_or(Reason::UnknownAsset)?;
        let info = Self::check_symbol(spec, base, quote, self.asset(base), self.asset(quote))?;
        if self.symbols.len() >= symbols_max.min(u32::MAX as usize) {
            return Err(Reason::LimitReached);
        }
        let id = SymbolId(self.symbols.len() as u32);
        let info = SymbolInfo { id, ..info };
        self.symbols.push(info);
        self.rules.push(info.rules());
        self.symbol_ids.insert(spec.symbol, id);
        Ok(id)
    }

    fn check_symbol(
        spec: SymbolSpec,
        base: AssetId,
        quote: AssetId,
        base_asset: &AssetInfo,
        quote_asset: &AssetInfo,
    ) -> Result<SymbolInfo, Reason> {
        let bad = Reason::InvalidSymbol;
        if base == quote
            || spec.tick_size.mantissa <= 0
            || spec.lot_size.mantissa <= 0
            || spec.min_qty.mantissa <= 0
            || spec.maker_fee_bps > 10_000
            || spec.taker_fee_bps > 10_000
        {
            return Err(bad);
        }
        // lot_size must be a whole number of base units.
        let base_per_lot = spec.lot_size.to_scale(base_asset.scale).ok_or(bad)?;
        // tick_size * lot_size must be a whole number of quote units.
        let tick_lot = Fixed::new(
            spec.tick_size
                .mantissa
                .checked_mul(spec.lot_size.mantissa)
                .ok_or(bad)?,
            spec.tick_size
                .scale
                .checked_add(spec.lot_size.scale)
                .ok_or(bad)?,
        );
        if tick_lot.scale > 2 * FIXED_SCALE_MAX {
            return Err(bad);
        }
        let tick_lot = if tick_lot.scale > FIXED_SCALE_MAX {
            // Bring into range exactly, or refuse.
            let excess = tick_lot.scale - FIXED_SCALE_MAX;
            let p = POW10[excess as usize] as i64;
            if tick_lot.mantissa % p != 0 {
                return Err(bad);
            }
            Fixed::new(tick_lot.mantissa / p, FIXED_SCALE_MAX)
        } else {
            tick_lot
        };
        let quote_per_tick_lot = tick_lot.to_scale(quote_asset.scale).ok_or(bad)?;
        if base_per_lot <= 0 || quote_per_tick_lot <= 0 {
            return Err(bad);
        }
        let min_lots = spec.min_qty.div_exact(spec.lot_size).ok_or(bad)?;
        if min_lots <= 0 {
            return Err(bad);
        }
        let band = match spec.price_band_pct {
            None => None,
            Some(p) => {
                // pct in (0, 100), at most 6 decimals.
                if p.mantissa <= 0 || p.scale > 6 {
                    return Err(bad);
                }
                let den = 100 * POW10[p.scale as usize] as i64;
                if p.mantissa >= den {
                    return Err(bad);
                }
                Some((p.mantissa, den))
            }
        };
        Ok(SymbolInfo {
            spec,
            id: SymbolId(0),
            base,
            quote,
            base_per_lot,
            quote_per_tick_lot,
            min_lots,
            band,
        })
    }

    /// Rebuilds the name indexes after a restore.
    pub(crate) fn from_parts(assets: Vec<AssetInfo>, symbols: Vec<SymbolInfo>) -> Directory {
        let asset_ids = assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name, AssetId(i as u16)))
            .collect();
        let symbol_ids = symbols.iter().map(|s| (s.spec.symbol, s.id)).collect();
        let rules = symbols.iter().map(|s| s.rules()).collect();
        Directory {
            assets,
            symbols,
            rules,
            asset_ids,
            symbol_ids,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(tick: Fixed, lot: Fixed) -> SymbolSpec {
        SymbolSpec {
            symbol: Name::new("BTC-USD").unwrap(),
            base: Name::new("BTC").unwrap(),
            quote: Name::new("USD").unwrap(),
            tick_size: tick,
            lot_size: lot,
            min_qty: lot,
            maker_fee_bps: 10,
            taker_fee_bps: 20,
            price_band_pct: None,
        }
    }

    fn dir() -> Directory {
        let mut d = Directory::default();
        d.add_asset(Name::new("BTC").unwrap(), 8, 10).unwrap();
        d.add_asset(Name::new("USD").unwrap(), 2, 10).unwrap();
        d
    }

    #[test]
    fn refuses_tick_lot_finer_than_quote_unit() {
        let mut d = dir();
        // 0.01 * 0.0001 = 0.000001 USD, finer than the cent.
        assert_eq!(
            d.add_symbol(spec(Fixed::new(1, 2), Fixed::new(1, 4)), 10),
            Err(Reason::InvalidSymbol)
        );
        // 1 * 0.01 = 0.01 USD: fine.
        let id = d
            .add_symbol(spec(Fixed::new(1, 0), Fixed::new(1, 2)), 10)
            .unwrap();
        let s = d.symbol(id);
        assert_eq!(s.base_per_lot, 1_000_000);
        assert_eq!(s.quote_per_tick_lot, 1);
        assert_eq!(
            d.add_symbol(spec(Fixed::new(1, 0), Fixed::new(1, 2)), 10),
            Err(Reason::Exists)
        );
    }

    #[test]
    fn refuses_lot_finer_than_base_unit() {
        let mut d = dir();
        assert_eq!(
            d.add_symbol(spec(Fixed::new(1, 0), Fixed::new(1, 9)), 10),
            Err(Reason::InvalidSymbol)
        );
    }

    #[test]
    fn band_is_exact() {
        let mut d = dir();
        let mut sp = spec(Fixed::new(1, 0), Fixed::new(1, 2));
        sp.price_band_pct = Some(Fixed::new(10, 0));
        let id = d.add_symbol(sp, 10).unwrap();
        let s = *d.symbol(id);
        let l = Some(Ticks::new(100));
        assert!(s.in_band(Side::Buy, Ticks::new(110), l));
        assert!(!s.in_band(Side::Buy, Ticks::new(111), l));
        assert!(s.in_band(Side::Sell, Ticks::new(90), l));
        assert!(!s.in_band(Side::Sell, Ticks::new(89), l));
        assert!(s.in_band(Side::Sell, Ticks::new(1), None));
    }
}
