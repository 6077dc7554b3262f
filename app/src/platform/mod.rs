//! Machinery every capability uses and none owns: the clock, signed tokens, settings
//! shared by every instance, and background jobs. Capabilities depend on `platform`;
//! `platform` depends on no capability (each registers its job kinds here instead).

pub mod clock;
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod settings;
#[cfg(feature = "ssr")]
pub mod signing;
