//! The audit log: who did what, for admins (sign-ins, sessions, keys, admins, the vault), as
//! pages and as a CSV export.

mod export;
mod list;

pub use export::*;
pub use list::*;
