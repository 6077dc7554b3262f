//! The one error type pages and server functions speak. Each variant carries a message a
//! person can act on; internals are logged on the server and never sent.

use crate::model::FieldErrors;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Your role does not allow this.")]
    Forbidden,
    #[error("This page or record does not exist.")]
    NotFound,
    #[error("Please correct the fields marked below.")]
    Invalid(FieldErrors),
    #[error("A contact with this email address already exists.")]
    DuplicateEmail { existing_id: crate::model::ContactId },
    #[error("Too many attempts. Try again in {} minutes.", .retry_after_secs.div_ceil(60))]
    RateLimited { retry_after_secs: u64 },
    /// A refusal with its reason, e.g. "Wrong email or password."
    #[error("{0}")]
    Refused(String),
    #[error("The request could not be understood.")]
    BadRequest,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors.get(field).map(str::to_string),
            AppError::DuplicateEmail { .. } if field == "email" => Some(self.to_string()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::BadRequest
            }
            _ => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::NotFound => AppError::NotFound,
            crate::store::StoreError::Erased => {
                AppError::Refused("This person's data was erased at their request: it cannot be changed.".into())
            }
            other => {
                tracing::error!(error = %other, "storage error");
                AppError::Internal
            }
        }
    }
}
