//! The Admins page's functions: list, add, disable and enable admins, and give them a role.
//! Admin sessions only; viewers may list.

mod create;
mod list;
mod set_disabled;
mod set_role;

pub use create::*;
pub use list::*;
pub use set_disabled::*;
pub use set_role::*;
