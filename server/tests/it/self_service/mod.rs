//! Self-service: personal links and the profile they open (`links`), and the staff's
//! self-service settings with the yearly refresh (`refresh`).

mod links;
mod refresh;
