//! Settings: the key policy (maximum lifetime, default expiry). Admins change it; everyone
//! signed in may read it.

mod get;
mod update;

pub use get::*;
pub use update::*;
