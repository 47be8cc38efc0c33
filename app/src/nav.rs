//! Where the app may send a user after signing in (pure, so it is tested on the host).

/// Where to go after login when `next` is absent or unsafe.
pub const HOME: &str = "/keys";

/// Pages that make no sense to return to once signed in.
const NOT_AFTER_LOGIN: &[&str] = &["/login", "/setup"];

/// A same-site path to return to after login. Browsers drop tabs and newlines from URLs and read
/// `\` as `/` (WHATWG URL parsing), so after removing the former the path must start with one
/// `/` followed by neither `/` nor `\`; anything else (`//host`, `/\host`, `https://…`) and the
/// login and setup pages give [`HOME`].
pub fn safe_next(next: Option<&str>) -> String {
    let Some(cleaned) = next.map(|n| {
        n.chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect::<String>()
    }) else {
        return HOME.to_owned();
    };
    let mut chars = cleaned.chars();
    let same_site = chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'));
    let page = cleaned
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/');
    if same_site && !cleaned.contains('\\') && !NOT_AFTER_LOGIN.contains(&page) {
        cleaned
    } else {
        HOME.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/keys?filter=never_used")),
            "/keys?filter=never_used"
        );
        assert_eq!(safe_next(Some("/keys/0191")), "/keys/0191");
        assert_eq!(safe_next(Some("/")), "/");
        assert_eq!(safe_next(None), HOME);
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "https://evil.example",
            "evil.example",
            "/%5Cevil.example\\",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), HOME, "{evil:?}");
        }
    }

    #[test]
    fn never_back_to_login_or_setup() {
        assert_eq!(safe_next(Some("/login")), HOME);
        assert_eq!(safe_next(Some("/login?next=%2Flogin")), HOME);
        assert_eq!(safe_next(Some("/setup/")), HOME);
        assert_eq!(safe_next(Some("/admins")), "/admins");
    }
}
