//! LicenseShipper Keys: the shared app crate. With `csr` it is the browser client (shell, pages,
//! components); with `ssr` it also holds the server-only services behind every server function.

pub mod api;
pub mod nav;

#[cfg(feature = "csr")]
mod components;
#[cfg(feature = "csr")]
mod pages;
#[cfg(feature = "csr")]
mod shell;
#[cfg(feature = "csr")]
pub use shell::App;

#[cfg(feature = "ssr")]
pub mod server;
