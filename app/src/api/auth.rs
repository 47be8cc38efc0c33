//! Sign-in, sign-out and first-run setup.

mod change_password;
mod login;
mod logout;
mod session;
mod setup;

pub use change_password::*;
pub use login::*;
pub use logout::*;
pub use session::*;
pub use setup::*;

#[cfg(feature = "ssr")]
fn signed_in(user: crate::server::entities::users::Model) -> super::types::SignedIn {
    super::types::SignedIn {
        id: user.id,
        email: user.email,
        name: user.name,
    }
}
