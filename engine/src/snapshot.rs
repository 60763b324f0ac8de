//! Snapshot of the whole engine state.
#[derive(Debug)]
pub struct SnapshotError(pub String);
impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "snapshot: {}", self.0)
    }
}
impl std::error::Error for SnapshotError {}
