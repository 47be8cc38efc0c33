//! The Admins page's functions: list, add, disable and enable admins. Admin sessions only.

mod create;
mod list;
mod set_disabled;

pub use create::*;
pub use list::*;
pub use set_disabled::*;

#[cfg(feature = "ssr")]
fn to_item(user: &crate::server::entities::users::Model, self_id: &str) -> super::types::AdminItem {
    use crate::server::clock::from_ms;
    super::types::AdminItem {
        id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        created_at: from_ms(user.created_at),
        last_login_at: user.last_login_at.map(from_ms),
        disabled: user.disabled_at.is_some(),
        is_self: user.id == self_id,
    }
}
