//! Value types shared by commands, events and state.
//!
//! What holds here:
//! - Inside the engine every price is a whole number of ticks ([`Ticks`]), every
//!   order quantity a whole number of lots ([`Lots`]) and every balance a whole
//!   number of the asset's smallest unit ([`Units`]). Products go through `i128`
//!   and are checked before they are narrowed back.
//! - Decimal numbers exist only at the edge, as [`Fixed`] (an exact
//!   mantissa/scale pair) that the engine converts against a symbol's tick,
//!   lot or an asset's scale, refusing anything that is not an exact multiple.
//! - Names and ids that travel in commands are fixed-size and `Copy`, so a
//!   command fits a fixed-size ring slot with no heap pointer in it.

use bincode::{Decode, Encode};
use std::fmt;

/// External user id, chosen by the operator in `add_user`.
pub type UserId = u64;
/// Engine-assigned order id: 1, 2, 3, … over all symbols; rejected places consume one too.
pub type OrderId = u64;
/// Engine-assigned trade id: 1, 2, 3, … over all symbols.
pub type TradeId = u64;
/// Journal sequence number of an input.
pub type Seq = u64;

macro_rules! int_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Encode, Decode)]
        pub struct $name(i64);

        impl $name {
            pub const ZERO: $name = $name(0);
            #[inline]
            pub const fn new(v: i64) -> Self {
                $name(v)
            }
            #[inline]
            pub const fn get(self) -> i64 {
                self.0
            }
            #[inline]
            pub fn checked_add(self, o: Self) -> Option<Self> {
                self.0.checked_add(o.0).map($name)
            }
            #[inline]
            pub fn checked_sub(self, o: Self) -> Option<Self> {
                self.0.checked_sub(o.0).map($name)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

int_newtype!(
    /// A price as a whole number of the symbol's `tick_size`.
    Ticks
);
int_newtype!(
    /// An order quantity as a whole number of the symbol's `lot_size`.
    Lots
);
int_newtype!(
    /// An amount of an asset in its smallest unit (10^-scale).
    Units
);

/// Index of an asset in the directory (order of `add_asset`).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Encode, Decode)]
pub struct AssetId(pub u16);

/// Index of a symbol in the directory (order of `add_symbol`).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Encode, Decode)]
pub struct SymbolId(pub u32);

/// An exact decimal as it arrives from the edge: `mantissa * 10^-scale`.
///
/// The gateway builds it from a JSON string; the engine turns it into ticks,
/// lots or units and refuses any value that is not an exact multiple.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default, Encode, Decode)]
pub struct Fixed {
    pub mantissa: i64,
    pub scale: u8,
}

/// Largest scale a [`Fixed`] may carry (10^18 still fits an `i64`).
pub const FIXED_SCALE_MAX: u8 = 18;

pub(crate) const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

impl Fixed {
    pub const fn new(mantissa: i64, scale: u8) -> Self {
        Fixed { mantissa, scale }
    }

    /// `self / unit` when that is a whole number; `None` otherwise, or when
    /// `unit` is not positive, or the result does not fit an `i64`.
    #[inline]
    pub fn div_exact(self, unit: Fixed) -> Option<i64> {
        // Fastest path: the same scale (what a client quoting in ticks and
        // lots sends), no scaling at all; a unit of 1 needs no division.
        if self.scale == unit.scale && unit.mantissa > 0 && unit.scale <= FIXED_SCALE_MAX {
            if unit.mantissa == 1 {
                return Some(self.mantissa);
            }
            return if self.mantissa % unit.mantissa == 0 {
                Some(self.mantissa / unit.mantissa)
            } else {
                None
            };
        }
        self.div_exact_scaled(unit)
    }

    /// [`Fixed::div_exact`] when the scales differ (or the unit is bad).
    #[inline(never)]
    fn div_exact_scaled(self, unit: Fixed) -> Option<i64> {
        if unit.mantissa <= 0 || self.scale > FIXED_SCALE_MAX || unit.scale > FIXED_SCALE_MAX {
            return None;
        }
        // Fast path in i64 (no 128-bit division): both sides brought to the
        // larger scale; exact and equal to the i128 path whenever nothing overflows.
        let s = self.scale.max(unit.scale);
        let a = (POW10[(s - self.scale) as usize] as i64).checked_mul(self.mantissa);
        let b = (POW10[(s - unit.scale) as usize] as i64).checked_mul(unit.mantissa);
        if let (Some(a), Some(b)) = (a, b) {
            return if a % b == 0 { Some(a / b) } else { None };
        }
        let a = self.mantissa as i128 * POW10[(s - self.scale) as usize];
        let b = unit.mantissa as i128 * POW10[(s - unit.scale) as usize];
        if a % b != 0 {
            return None;
        }
        i64::try_from(a / b).ok()
    }

    /// `self` in units of `10^-scale`, when exact.
    pub fn to_scale(self, scale: u8) -> Option<i64> {
        self.div_exact(Fixed::new(1, scale))
    }

    /// The value with trailing zeros of the mantissa removed (`1.500` -> `1.5`).
    pub fn normalized(self) -> Fixed {
        let mut f = self;
        while f.scale > 0 && f.mantissa % 10 == 0 {
            f.mantissa /= 10;
            f.scale -= 1;
        }
        f
    }
}

impl fmt::Display for Fixed {
    /// Plain decimal text without trailing zeros: `100.5`, `2`, `-0.01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.normalized();
        if n.scale == 0 {
            return write!(f, "{}", n.mantissa);
        }
        let neg = n.mantissa < 0;
        let abs = (n.mantissa as i128).unsigned_abs();
        let p = POW10[n.scale as usize] as u128;
        let (int, frac) = (abs / p, abs % p);
        write!(
            f,
            "{}{}.{:0width$}",
            if neg { "-" } else { "" },
            int,
            frac,
            width = n.scale as usize
        )
    }
}

impl fmt::Debug for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fixed({self})")
    }
}

/// A short name (symbol or asset), 1 to 16 bytes of `[A-Za-z0-9._-]`, kept inline.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Encode, Decode)]
pub struct Name([u8; Name::MAX]);

impl Name {
    pub const MAX: usize = 16;

    /// `None` unless `s` is 1..=16 bytes of `[A-Za-z0-9._-]`.
    pub fn new(s: &str) -> Option<Name> {
        let b = s.as_bytes();
        if b.is_empty()
            || b.len() > Self::MAX
            || !b
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        {
            return None;
        }
        let mut n = [0u8; Self::MAX];
        n[..b.len()].copy_from_slice(b);
        Some(Name(n))
    }

    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&c| c == 0).unwrap_or(Self::MAX);
        // Only ASCII is ever stored (checked in `new`).
        std::str::from_utf8(&self.0[..len]).unwrap_or("")
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! inline_str {
    ($(#[$m:meta])* $name:ident, $max:expr, $pred:expr) => {
        $(#[$m])*
        #[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
        pub struct $name {
            len: u8,
            bytes: [u8; $max],
        }

        impl $name {
            pub const MAX: usize = $max;

            /// `None` unless `s` has 1..=MAX bytes, each accepted by the rule of this type.
            pub fn new(s: &str) -> Option<Self> {
                let b = s.as_bytes();
                let ok: fn(u8) -> bool = $pred;
                if b.is_empty() || b.len() > $max || !b.iter().all(|&c| ok(c)) {
                    return None;
                }
                let mut bytes = [0u8; $max];
                bytes[..b.len()].copy_from_slice(b);
                Some($name { len: b.len() as u8, bytes })
            }

            pub fn as_str(&self) -> &str {
                std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.as_str())
            }
        }
    };
}

inline_str!(
    /// A client's own order id: 1 to 36 bytes of `[A-Za-z0-9_-]`.
    ClOrdId,
    36,
    |c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
);

inline_str!(
    /// A deposit/withdrawal transaction id, unique forever: 1 to 64 printable ASCII bytes.
    TxId,
    64,
    |c| c.is_ascii_graphic()
);

/// SHA-256 of an API key. The engine never holds a key in clear.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Encode, Decode)]
pub struct KeyHash(pub [u8; 32]);

impl KeyHash {
    pub fn of_key(key: &str) -> KeyHash {
        use sha2::Digest;
        KeyHash(sha2::Sha256::digest(key.as_bytes()).into())
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyHash(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Encode, Decode)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    #[inline]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Encode, Decode)]
pub enum OrderType {
    Limit,
    Market,
    StopLimit,
    StopMarket,
}

impl OrderType {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "limit",
            OrderType::Market => "market",
            OrderType::StopLimit => "stop_limit",
            OrderType::StopMarket => "stop_market",
        }
    }
    #[inline]
    pub fn is_stop(self) -> bool {
        matches!(self, OrderType::StopLimit | OrderType::StopMarket)
    }
    #[inline]
    pub fn has_limit_price(self) -> bool {
        matches!(self, OrderType::Limit | OrderType::StopLimit)
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Encode, Decode)]
pub enum Tif {
    Gtc,
    Ioc,
    Fok,
}

impl Tif {
    pub fn as_str(self) -> &'static str {
        match self {
            Tif::Gtc => "gtc",
            Tif::Ioc => "ioc",
            Tif::Fok => "fok",
        }
    }
}

/// Self-trade prevention mode of an incoming order.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default, Encode, Decode)]
pub enum Stp {
    #[default]
    None,
    CancelTaker,
    CancelMaker,
    CancelBoth,
}

impl Stp {
    pub fn as_str(self) -> &'static str {
        match self {
            Stp::None => "none",
            Stp::CancelTaker => "cancel_taker",
            Stp::CancelMaker => "cancel_maker",
            Stp::CancelBoth => "cancel_both",
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Encode, Decode)]
pub enum Role {
    Trader,
    Admin,
    /// Reads the sequenced event stream (the drop copy); may not trade.
    /// Appended last: journals and snapshots encode the variant's index.
    DropCopy,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Trader => "trader",
            Role::Admin => "admin",
            Role::DropCopy => "dropcopy",
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Encode, Decode)]
pub enum Liquidity {
    Maker,
    Taker,
}

impl Liquidity {
    pub fn as_str(self) -> &'static str {
        match self {
            Liquidity::Maker => "maker",
            Liquidity::Taker => "taker",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_div_exact() {
        let tick = Fixed::new(1, 2); // 0.01
        assert_eq!(Fixed::new(1005, 1).div_exact(tick), Some(10050)); // 100.5
        assert_eq!(Fixed::new(100005, 3).div_exact(tick), None); // 100.005
        assert_eq!(Fixed::new(5, 5).div_exact(Fixed::new(1, 4)), None);
        assert_eq!(Fixed::new(3, 0).div_exact(Fixed::new(1, 4)), Some(30000));
        assert_eq!(Fixed::new(3, 0).div_exact(Fixed::new(0, 4)), None);
        assert_eq!(Fixed::new(i64::MAX, 0).div_exact(Fixed::new(1, 4)), None);
    }

    /// The fast paths agree with plain 128-bit arithmetic everywhere.
    #[test]
    fn fixed_div_exact_matches_wide_arithmetic() {
        fn reference(a: Fixed, u: Fixed) -> Option<i64> {
            if u.mantissa <= 0 || a.scale > FIXED_SCALE_MAX || u.scale > FIXED_SCALE_MAX {
                return None;
            }
            let s = a.scale.max(u.scale);
            let x = a.mantissa as i128 * POW10[(s - a.scale) as usize];
            let y = u.mantissa as i128 * POW10[(s - u.scale) as usize];
            if x % y != 0 {
                return None;
            }
            i64::try_from(x / y).ok()
        }
        let mantissas = [
            0,
            1,
            -1,
            5,
            -5,
            10,
            25,
            100,
            12_345,
            -12_340,
            1_000_000_007,
            i64::MAX,
            i64::MIN,
            i64::MAX - 1,
            i64::MIN + 1,
            i64::MAX / 10 * 10,
        ];
        for &m in &mantissas {
            for &um in &[1i64, 2, 5, 10, 25, 3, 0, -1, i64::MAX] {
                for s in [0u8, 1, 2, 3, 8, 18, 19] {
                    for us in [0u8, 1, 2, 3, 8, 18, 19] {
                        let (a, u) = (Fixed::new(m, s), Fixed::new(um, us));
                        assert_eq!(a.div_exact(u), reference(a, u), "{a:?} / {u:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn fixed_display_has_no_trailing_zeros() {
        assert_eq!(Fixed::new(1005, 1).to_string(), "100.5");
        assert_eq!(Fixed::new(2000, 3).to_string(), "2");
        assert_eq!(Fixed::new(-1, 2).to_string(), "-0.01");
        assert_eq!(Fixed::new(0, 6).to_string(), "0");
        assert_eq!(Fixed::new(12, 8).to_string(), "0.00000012");
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(Name::new("BTC-USD").unwrap().as_str(), "BTC-USD");
        assert!(Name::new("").is_none());
        assert!(Name::new("a b").is_none());
        assert!(Name::new("ABCDEFGHIJKLMNOPQ").is_none());
        assert!(ClOrdId::new("a1_-Z").is_some());
        assert!(ClOrdId::new("a.1").is_none());
        assert!(ClOrdId::new(&"x".repeat(37)).is_none());
        assert!(TxId::new("d-1").is_some());
        assert!(TxId::new("a b").is_none());
    }
}
