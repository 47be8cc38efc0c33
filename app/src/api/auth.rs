//! Sign-in, sign-out and first-run setup.

mod change_password;
mod confirm_password;
mod login;
mod logout;
mod session;
mod setup;

pub use change_password::*;
pub use confirm_password::*;
pub use login::*;
pub use logout::*;
pub use session::*;
pub use setup::*;
