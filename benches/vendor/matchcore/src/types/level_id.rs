/// Represents a unique identifier for a price level
pub(crate) type LevelId = usize;
