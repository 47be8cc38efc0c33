//! The audit log: who did what, for admins (sign-ins, sessions, keys, admins, the vault).

mod list;

pub use list::*;
