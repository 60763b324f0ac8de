//! What must hold after every command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantError(pub String);
impl std::fmt::Display for InvariantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invariant broken: {}", self.0)
    }
}
impl std::error::Error for InvariantError {}
