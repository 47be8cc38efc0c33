//! One declaration per server function: what it needs, which errors it adds, its doc comment,
//! and (from its Rust signature) its request and response schemas. The API gate enforces the
//! need before the body runs, and the OpenAPI document, the docs check and the caller-matrix test
//! are all derived from these declarations.
//!
//! ```ignore
//! api_fn! {
//!     need: Scope(KeysRead),
//!     errors: [NotFound],
//!     /// One key.
//!     #[server(prefix = "/api", endpoint = "v1/keys.get", input = Json, output = Json)]
//!     pub async fn get_key(id: String) -> Result<KeyItem, ApiError> { … }
//! }
//! ```

use super::types::Scope;

/// What a caller must be to call a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not (login, first-run setup, the session state).
    Public,
    /// A signed-in admin with the admin role (never a viewer, never an API key).
    Admin,
    /// A signed-in admin of any role, viewers too (never an API key).
    Session,
    /// An API key, whatever its scopes (never an admin session).
    Key,
    /// An admin, or an API key holding this scope.
    Scope(Scope),
}

impl Need {
    /// How the docs name it.
    pub fn label(self) -> String {
        match self {
            Self::Public => "public".into(),
            Self::Admin => "admin session (admin role)".into(),
            Self::Session => "admin session (viewers too)".into(),
            Self::Key => "any key".into(),
            Self::Scope(scope) => format!("`{}`", scope.as_str()),
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use utoipa::openapi::{schema::Schema, RefOr};

    use super::Need;
    use crate::api::error::{ApiError, ErrorCode};
    use crate::server::Caller;

    /// A collected schema and the named schemas it refers to.
    pub type Schemas = Vec<(String, RefOr<Schema>)>;

    /// One argument of a server function, as its signature declares it.
    pub struct Arg {
        pub name: &'static str,
        /// The `#[server(…)]` attributes, as written (`default`, `flatten`).
        pub attrs: &'static str,
        pub ty: &'static str,
        pub schema: fn() -> RefOr<Schema>,
        /// The type's own schema, inline (for a `flatten`ed argument's fields).
        pub inline: fn() -> RefOr<Schema>,
        pub components: fn(&mut Schemas),
    }

    /// A server function, as declared with [`api_fn!`](crate::api_fn).
    pub struct Endpoint {
        pub path: &'static str,
        pub need: Need,
        /// Also answers GET (with no arguments).
        pub get: bool,
        /// The media type of a successful answer (`application/json`, or `text/csv` for an
        /// export streamed as it is read).
        pub produces: &'static str,
        pub doc: &'static str,
        /// Error codes the function itself may answer, besides those every function may.
        pub errors: &'static [ErrorCode],
        pub args: fn() -> Vec<Arg>,
        pub response: fn() -> Option<RefOr<Schema>>,
        pub response_components: fn(&mut Schemas),
    }

    inventory::collect!(Endpoint);

    /// Every declared function, by path.
    pub fn endpoints() -> Vec<&'static Endpoint> {
        let mut all: Vec<&Endpoint> = inventory::iter::<Endpoint>.into_iter().collect();
        all.sort_by_key(|e| e.path);
        all
    }

    /// The declaration of `path`, if a function is declared there.
    pub fn find(path: &str) -> Option<&'static Endpoint> {
        inventory::iter::<Endpoint>
            .into_iter()
            .find(|e| e.path == path)
    }

    impl Need {
        /// Fails unless `caller` meets this need: 401 for nobody, 403 for the wrong kind of
        /// caller or a key without the scope.
        pub fn check(self, caller: &Caller) -> Result<(), ApiError> {
            match self {
                Need::Public => Ok(()),
                Need::Admin => caller.require_admin().map(|_| ()),
                Need::Session => caller.require_session().map(|_| ()),
                Need::Key => caller.require_key().map(|_| ()),
                Need::Scope(scope) => caller.require_scope(scope),
            }
        }

        /// What every function with this need may answer, besides its own errors. Any request
        /// may present a key (refused as malformed, unknown, expired or disabled, and throttled
        /// after repeated failures) or a cross-site cookie, whatever the function.
        pub fn errors(self) -> Vec<ErrorCode> {
            use ErrorCode::*;
            let mut all = vec![
                BadRequest,
                UnsupportedMediaType,
                PayloadTooLarge,
                RequestTimeout,
                Validation,
                KeyMalformed,
                KeyNotFound,
                KeyExpired,
                KeyDisabled,
                IpNotAllowed,
                CrossOrigin,
                RateLimited,
                Internal,
            ];
            match self {
                Need::Public => {}
                Need::Admin | Need::Session | Need::Key => all.extend([Unauthenticated, Forbidden]),
                Need::Scope(_) => all.extend([Unauthenticated, Forbidden, MissingScope]),
            }
            all
        }
    }

    impl Endpoint {
        /// The function's name in the API (`keys.get`).
        pub fn name(&self) -> &'static str {
            self.path.trim_start_matches("/api/v1/")
        }

        /// The first paragraph of the doc comment.
        pub fn summary(&self) -> String {
            self.doc
                .split("\n\n")
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }

        /// Every error code this function may answer.
        pub fn all_errors(&self) -> Vec<ErrorCode> {
            let mut all: Vec<ErrorCode> = self.need.errors();
            all.extend(self.errors.iter().copied());
            all.sort();
            all.dedup();
            all
        }

        /// The JSON object the function takes: its arguments (a `flatten`ed one contributes its
        /// fields), required unless optional or defaulted, and nothing else.
        pub fn request(&self) -> (serde_json::Value, Schemas) {
            let mut properties = serde_json::Map::new();
            let mut required = Vec::new();
            let mut components = Schemas::new();
            for arg in (self.args)() {
                (arg.components)(&mut components);
                if arg.attrs.contains("flatten") {
                    let inline = serde_json::to_value((arg.inline)()).unwrap_or_default();
                    if let Some(props) = inline["properties"].as_object() {
                        properties.extend(props.clone());
                    }
                    if let Some(req) = inline["required"].as_array() {
                        required.extend(req.iter().filter_map(|r| r.as_str()).map(str::to_owned));
                    }
                    continue;
                }
                let optional = arg.attrs.contains("default") || arg.ty.starts_with("Option");
                properties.insert(
                    arg.name.to_owned(),
                    serde_json::to_value((arg.schema)()).unwrap_or_default(),
                );
                if !optional {
                    required.push(arg.name.to_owned());
                }
            }
            let mut schema = serde_json::json!({
                "type": "object",
                "properties": properties,
                "additionalProperties": false,
            });
            if !required.is_empty() {
                schema["required"] = serde_json::json!(required);
            }
            (schema, components)
        }

        /// The argument names the function accepts (anything else is refused).
        pub fn fields(&self) -> std::collections::BTreeSet<String> {
            self.request().0["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default()
        }
    }

    /// The schema of an argument or response type: a reference for a named wire type, the
    /// schema itself for primitives and containers.
    pub fn schema_of<T: utoipa::ToSchema>() -> RefOr<Schema> {
        if is_named::<T>() {
            RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
        } else {
            T::schema()
        }
    }

    /// The named schemas a type brings: itself (if named) and those it refers to.
    pub fn components_of<T: utoipa::ToSchema>(out: &mut Schemas) {
        if is_named::<T>() {
            out.push((T::name().into_owned(), T::schema()));
        }
        T::schemas(out);
    }

    /// A wire type of ours (not a primitive, `Option` or `Vec`).
    fn is_named<T: utoipa::ToSchema>() -> bool {
        !matches!(
            T::name().as_ref(),
            "" | "i8"
                | "i16"
                | "i32"
                | "i64"
                | "u8"
                | "u16"
                | "u32"
                | "u64"
                | "usize"
                | "isize"
                | "bool"
                | "f32"
                | "f64"
                | "String"
                | "str"
                | "char"
                | "Option"
                | "Vec"
                | "DateTime"
                | "NaiveDate"
                | "Value"
        )
    }
}

#[doc(hidden)]
pub use paste;

/// Declares a server function and its registry entry (see the module docs).
#[macro_export]
macro_rules! api_fn {
    (
        need: $need:ident $(($scope:ident))?,
        produces: $produces:literal,
        $(errors: [$($err:ident),* $(,)?],)?
        $(#[doc = $doc:literal])*
        #[server($($server:tt)*)]
        pub async fn $name:ident($($args:tt)*) -> Result<$out:ty, ApiError> $body:block
    ) => {
        $crate::api_fn!(@emit $crate::api::registry::Need::$need $(($crate::api::types::Scope::$scope))?, [], [$($($err),*)?], [$($doc),*], [$($server)*], $name, [$($args)*], $out, text, $body, $produces);
    };
    (
        need: $need:ident $(($scope:ident))?,
        $(get: $get:literal,)?
        $(errors: [$($err:ident),* $(,)?],)?
        $(#[doc = $doc:literal])*
        #[server($($server:tt)*)]
        pub async fn $name:ident($($args:tt)*) -> Result<(), ApiError> $body:block
    ) => {
        $crate::api_fn!(@emit $crate::api::registry::Need::$need $(($crate::api::types::Scope::$scope))?, [$($get)?], [$($($err),*)?], [$($doc),*], [$($server)*], $name, [$($args)*], (), none, $body, "application/json");
    };
    (
        need: $need:ident $(($scope:ident))?,
        $(get: $get:literal,)?
        $(errors: [$($err:ident),* $(,)?],)?
        $(#[doc = $doc:literal])*
        #[server($($server:tt)*)]
        pub async fn $name:ident($($args:tt)*) -> Result<$out:ty, ApiError> $body:block
    ) => {
        $crate::api_fn!(@emit $crate::api::registry::Need::$need $(($crate::api::types::Scope::$scope))?, [$($get)?], [$($($err),*)?], [$($doc),*], [$($server)*], $name, [$($args)*], $out, some, $body, "application/json");
    };
    (@emit $need:expr, [$($get:literal)?], [$($err:ident),*], [$($doc:literal),*], [$($server:tt)*], $name:ident, [$($args:tt)*], $out:ty, $has:ident, $body:block, $produces:literal) => {
        $(#[doc = $doc])*
        #[server($($server)*)]
        pub async fn $name($($args)*) -> Result<$out, ApiError> $body

        #[cfg(feature = "ssr")]
        $crate::api::registry::paste::paste! {
            inventory::submit! {
                $crate::api::registry::Endpoint {
                    path: <[<$name:camel>] as server_fn::ServerFn>::PATH,
                    need: $need,
                    get: false $(|| $get)?,
                    produces: $produces,
                    doc: concat!($($doc, "\n"),*),
                    errors: &[$($crate::api::error::ErrorCode::$err),*],
                    args: || $crate::api_fn!(@args [] $($args)*),
                    response: $crate::api_fn!(@response $has $out),
                    response_components: $crate::api_fn!(@components $has $out),
                }
            }
        }
    };
    (@response none $out:ty) => { || None };
    (@response text $out:ty) => { || Some(<String as utoipa::PartialSchema>::schema()) };
    (@components text $out:ty) => { |_| {} };
    (@response some $out:ty) => { || Some($crate::api::registry::schema_of::<$out>()) };
    (@components none $out:ty) => { |_| {} };
    (@components some $out:ty) => { $crate::api::registry::components_of::<$out> };
    // Arguments: `#[server(...)]* name: Type`, comma-separated.
    (@args [$($done:expr),*]) => { vec![$($done),*] };
    (@args [$($done:expr),*] $(#[$attr:meta])* $arg:ident : $ty:ty $(, $($rest:tt)*)?) => {
        $crate::api_fn!(@args [$($done,)* $crate::api::registry::Arg {
            name: stringify!($arg),
            attrs: stringify!($($attr)*),
            ty: stringify!($ty),
            schema: $crate::api::registry::schema_of::<$ty>,
            inline: <$ty as utoipa::PartialSchema>::schema,
            components: $crate::api::registry::components_of::<$ty>,
        }] $($($rest)*)?)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_read_as_the_docs_name_them() {
        assert_eq!(Need::Scope(Scope::KeysRead).label(), "`keys:read`");
        assert_eq!(Need::Admin.label(), "admin session (admin role)");
    }
}
