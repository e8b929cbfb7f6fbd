//! Hosting a built `feed/` folder: [`serve`] previews it over HTTP the way podcast apps fetch it,
//! [`publish`] uploads it to S3-compatible object storage. Both need the `hosting` feature
//! (tokio, axum, the S3 client).
//!
//! Both take the `Content-Type` of a file from the one MIME table, [`crate::mime`] (re-exported
//! here as [`content_type`]). `publish` does not depend on `serve`.

pub mod publish;
pub mod serve;

pub use crate::mime::content_type;
