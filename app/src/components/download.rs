//! Saving a server function's file answer (a CSV export) in the browser: the call is made as
//! any other (a JSON POST with the session cookie), and the answer becomes a download.

use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api::ApiError;

/// Calls the server function `S` with `args` and saves its answer as `file_name`.
pub async fn save<S>(args: &S, file_name: &str) -> Result<(), ApiError>
where
    S: server_fn::ServerFn + Serialize,
{
    let failed = |_: JsValue| ApiError::Network("The download could not be made.".into());
    let window = web_sys::window().ok_or_else(|| failed(JsValue::NULL))?;
    let body = serde_json::to_string(args).map_err(|_| ApiError::Internal)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    init.set_body(&JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(failed)?;
    headers
        .set("Content-Type", "application/json")
        .map_err(failed)?;
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(S::PATH, &init).map_err(failed)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(failed)?
        .unchecked_into();
    if !response.ok() {
        let text = JsFuture::from(response.text().map_err(failed)?)
            .await
            .map_err(failed)?
            .as_string()
            .unwrap_or_default();
        return Err(serde_json::from_str(&text).unwrap_or(ApiError::Internal));
    }
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(failed)?)
        .await
        .map_err(failed)?
        .unchecked_into();
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = window.document().ok_or_else(|| failed(JsValue::NULL))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(file_name);
    let body = document.body().ok_or_else(|| failed(JsValue::NULL))?;
    body.append_child(&link).map_err(failed)?;
    link.click();
    link.remove();
    // The browser reads the file after this returns: the address is let go of a minute later.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}
