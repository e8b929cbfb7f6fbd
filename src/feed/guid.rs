//! GUIDs and the GUID lock: moved to [`crate::sources::guid_lock`]; this path re-exports it.

pub use crate::sources::guid_lock::*;
