//! API-key functions: the same typed surface serves the admin SPA (session cookie) and
//! integrators (`Authorization: Bearer`), with scopes deciding what a key may do.

mod bulk_delete;
mod create;
mod delete;
mod export;
mod get;
mod history;
mod list;
mod report_leaked;
mod reveal;
mod roll;
mod set_disabled;
mod update;
mod usage;
mod verify;
mod whoami;

pub use bulk_delete::*;
pub use create::*;
pub use delete::*;
pub use export::*;
pub use get::*;
pub use history::*;
pub use list::*;
pub use report_leaked::*;
pub use reveal::*;
pub use roll::*;
pub use set_disabled::*;
pub use update::*;
pub use usage::*;
pub use verify::*;
pub use whoami::*;

/// A key as this caller may see it (see [`crate::server::wire::to_item_for`]).
#[cfg(feature = "ssr")]
fn item(
    state: &crate::server::AppState,
    caller: &crate::server::Caller,
    model: &crate::server::entities::api_keys::Model,
) -> super::types::KeyItem {
    crate::server::wire::to_item_for(model, state.clock.now_ms(), caller.bounds().as_ref())
}
