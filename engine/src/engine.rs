//! The state machine (stub: being written).
use crate::*;

#[derive(Copy, Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Limits {
    pub assets_max: usize,
    pub symbols_max: usize,
    pub users_max: usize,
    pub orders_per_symbol_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { assets_max: 256, symbols_max: 65_536, users_max: 10_000_000, orders_per_symbol_max: 10_000_000 }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub user: UserId,
    pub role: Role,
    pub key_hash: KeyHash,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// The command's sequence is not the engine's last plus one.
    SequenceGap { expected: Seq, got: Seq },
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::SequenceGap { expected, got } => write!(f, "sequence gap: expected {expected}, got {got}"),
        }
    }
}
impl std::error::Error for ApplyError {}

pub struct Engine { dir: Directory }

impl Engine {
    pub fn new(_limits: Limits) -> Engine { Engine { dir: Directory::default() } }
    pub fn apply(&mut self, _cmd: &Command, _out: &mut Vec<Event>) -> Result<(), ApplyError> { todo!() }
    pub fn last_seq(&self) -> Seq { 0 }
    pub fn last_ts_ns(&self) -> u64 { 0 }
    pub fn limits(&self) -> Limits { Limits::default() }
    pub fn directory(&self) -> &Directory { &self.dir }
    pub fn user(&self, _user: UserId) -> Option<UserInfo> { None }
    pub fn users(&self) -> Vec<UserInfo> { vec![] }
    pub fn balance(&self, _user: UserId, _asset: AssetId) -> Option<Balance> { None }
    pub fn balances(&self, _user: UserId) -> Option<Vec<(AssetId, Balance)>> { None }
    pub fn fees(&self) -> Vec<(AssetId, Units)> { vec![] }
    pub fn open_orders(&self, _user: UserId, _symbol: Option<SymbolId>) -> Vec<ExecReport> { vec![] }
    pub fn book(&self, _symbol: SymbolId, _depth: usize) -> L2Book { L2Book::default() }
    pub fn last_trade_price(&self, _symbol: SymbolId) -> Option<Ticks> { None }
    pub fn halted(&self, _symbol: SymbolId) -> bool { false }
    pub fn state_hash(&self) -> [u8; 32] { [0; 32] }
    pub fn snapshot_bytes(&self) -> Vec<u8> { vec![] }
    pub fn from_snapshot_bytes(_b: &[u8]) -> Result<Engine, SnapshotError> { todo!() }
    pub fn check_invariants(&self) -> Result<(), InvariantError> { Ok(()) }
}
