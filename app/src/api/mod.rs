//! The typed surface shared by the SPA and integrators: server functions, their data and errors.

pub mod admins;
pub mod audit;
pub mod auth;
pub mod error;
pub mod keys;
pub mod registry;
pub mod settings;
pub mod types;
pub mod validate;
pub mod webhooks;

pub use error::ApiError;
