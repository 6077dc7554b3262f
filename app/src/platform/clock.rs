//! The clock: every instant Carnet stores is a `Timestamp` (Unix seconds, UTC).

use crate::model::Timestamp;

/// Now.
pub fn now() -> Timestamp {
    Timestamp(chrono::Utc::now().timestamp())
}
