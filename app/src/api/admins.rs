//! The Admins page's functions: list, add, disable and enable admins. Admin sessions only.

mod create;
mod list;
mod set_disabled;

pub use create::*;
pub use list::*;
pub use set_disabled::*;
