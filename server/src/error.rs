//! Start-up and command errors: each prints as one clear line.

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open database {url}: {message}")]
    Database { url: String, message: String },
    #[error("cannot migrate database: {0}")]
    Migrate(String),
    #[error("site root {0} has no index.html: build the client first (`make client`)")]
    SiteRoot(String),
    #[error("cannot listen on {addr}: {message}")]
    Listen { addr: String, message: String },
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("this binary was built without the client: build it (`make client`) and then the server, or pass --site-root")]
    NoClient,
    #[error("secret-scanning public keys: {0}")]
    ScanningKeys(String),
    #[error("cannot start metrics: {0}")]
    Metrics(String),
    #[error("{0}")]
    Command(String),
}

/// A database URL with any password replaced, safe for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact_url("sqlite://data/x.db"),
            "sqlite://data/x.db"
        );
    }
}
