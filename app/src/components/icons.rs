//! Inline SVG icons (decorative: the buttons around them carry the accessible names).

use leptos::prelude::*;

#[component]
fn Svg(children: Children) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
            {children()}
        </svg>
    }
}

#[component]
pub fn Eye() -> impl IntoView {
    view! { <Svg><path d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z"/><circle cx="12" cy="12" r="3"/></Svg> }
}

#[component]
pub fn EyeOff() -> impl IntoView {
    view! {
        <Svg>
            <path d="M17.94 17.94A10.07 10.07 0 0 1 12 20c-7 0-11-8-11-8a18.45 18.45 0 0 1 5.06-5.94"/>
            <path d="M9.9 4.24A9.12 9.12 0 0 1 12 4c7 0 11 8 11 8a18.5 18.5 0 0 1-2.16 3.19"/>
            <line x1="1" y1="1" x2="23" y2="23"/>
        </Svg>
    }
}

#[component]
pub fn Copy() -> impl IntoView {
    view! { <Svg><rect x="9" y="9" width="13" height="13" rx="2"/><path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/></Svg> }
}

#[component]
pub fn Trash() -> impl IntoView {
    view! { <Svg><polyline points="3 6 5 6 21 6"/><path d="M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6"/><path d="M10 11v6M14 11v6M9 6V4h6v2"/></Svg> }
}

#[component]
pub fn Plus() -> impl IntoView {
    view! { <Svg><line x1="12" y1="5" x2="12" y2="19"/><line x1="5" y1="12" x2="19" y2="12"/></Svg> }
}

#[component]
pub fn ArrowLeft() -> impl IntoView {
    view! { <Svg><line x1="19" y1="12" x2="5" y2="12"/><polyline points="12 19 5 12 12 5"/></Svg> }
}

#[component]
pub fn Search() -> impl IntoView {
    view! { <Svg><circle cx="11" cy="11" r="8"/><line x1="21" y1="21" x2="16.65" y2="16.65"/></Svg> }
}
