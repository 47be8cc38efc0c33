//! Reusable pieces of the client: session, toasts, dialogs, icons, time and clipboard helpers.

pub mod clipboard;
pub mod download;
pub mod fields;
pub mod focus;
pub mod icons;
pub mod list_url;
pub mod modal;
pub mod password_dialog;
pub mod reauth;
pub mod secret;
pub mod session;
pub mod time;
pub mod tips;
pub mod toast;
