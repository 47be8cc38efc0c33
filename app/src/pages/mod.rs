//! One module per page.

pub mod admins;
pub mod audit;
pub mod key_details;
pub mod keys_list;
pub mod login;
pub mod not_found;
pub mod settings;
pub mod setup;
pub mod webhooks;

pub mod key_dialogs;
