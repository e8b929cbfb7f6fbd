//! Validation profiles.

/// A set of rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The default.
    #[default]
    Strict,
}
