//! Moving focus to the page's heading after a route or page change, so keyboard and
//! screen-reader users start at the top of what changed (WCAG 2.4.3).

use wasm_bindgen::{closure::Closure, JsCast};

/// Focuses the main heading once it is rendered: from the next animation frame (after the new
/// view is in place), and on each frame for about a second while the page is still loading.
pub fn focus_heading() {
    next_frame(60);
}

fn next_frame(frames_left: u32) {
    if let Some(window) = web_sys::window() {
        let next = Closure::once_into_js(move || try_focus(frames_left));
        let _ = window.request_animation_frame(next.unchecked_ref());
    }
}

fn try_focus(frames_left: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let heading = window
        .document()
        .and_then(|d| d.query_selector("main h1").ok().flatten())
        .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
    match heading {
        Some(h) => {
            if !h.has_attribute("tabindex") {
                let _ = h.set_attribute("tabindex", "-1");
            }
            let _ = h.focus();
        }
        None if frames_left > 0 => next_frame(frames_left - 1),
        None => {}
    }
}
