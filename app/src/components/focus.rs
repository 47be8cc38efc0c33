//! Moving focus to the page's heading after a route or page change, so keyboard and
//! screen-reader users start at the top of what changed (WCAG 2.4.3).

use wasm_bindgen::{closure::Closure, JsCast};

/// Focuses the main heading once it is rendered, if focus is lost meanwhile: checked on each
/// animation frame for about a second while the element that had focus (a link or button the
/// change re-renders away) still has it. Focus the admin moved elsewhere is never taken.
pub fn focus_heading() {
    watch(60);
}

/// The same, for one frame (after a dialog closed and its opener may be gone).
pub fn focus_heading_if_lost() {
    watch(1);
}

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

fn watch(frames: u32) {
    let Some(doc) = document() else {
        return;
    };
    let Some(had_focus) = doc.active_element().or_else(|| doc.body().map(Into::into)) else {
        return;
    };
    next_frame(frames, had_focus);
}

fn next_frame(frames_left: u32, had_focus: web_sys::Element) {
    if let Some(window) = web_sys::window() {
        let next = Closure::once_into_js(move || try_focus(frames_left, had_focus));
        let _ = window.request_animation_frame(next.unchecked_ref());
    }
}

/// True when nothing holds focus: the body has it, or the focused element left the page.
fn focus_is_lost(document: &web_sys::Document) -> bool {
    match document.active_element() {
        None => true,
        Some(el) => document.body().is_some_and(|b| el == *b) || !el.is_connected(),
    }
}

fn try_focus(frames_left: u32, had_focus: web_sys::Element) {
    let Some(document) = document() else {
        return;
    };
    let heading = document
        .query_selector("main h1")
        .ok()
        .flatten()
        .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
    match heading {
        Some(h) if focus_is_lost(&document) => {
            if !h.has_attribute("tabindex") {
                let _ = h.set_attribute("tabindex", "-1");
            }
            let _ = h.focus();
        }
        // Still on the element that had it (not yet re-rendered), or no heading yet: wait.
        _ if frames_left > 1
            && (document.active_element().as_ref() == Some(&had_focus)
                || focus_is_lost(&document)) =>
        {
            next_frame(frames_left - 1, had_focus)
        }
        _ => {}
    }
}
