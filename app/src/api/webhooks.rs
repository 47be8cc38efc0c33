//! Webhook endpoints: admins (admin role, in a browser session) add them, change them and read
//! their delivery log. Events are signed per the Standard Webhooks specification.

mod create;
mod delete;
mod deliveries;
mod list;
mod resend;
mod roll_secret;
mod test;
pub mod types;
mod update;

pub use create::*;
pub use delete::*;
pub use deliveries::*;
pub use list::*;
pub use resend::*;
pub use roll_secret::*;
pub use test::*;
pub use update::*;
