//! Dates in the admin's own locale and time zone, and "3 minutes ago".

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

fn locale() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en-US".into())
}

fn js_date(at: DateTime<Utc>) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64))
}

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    obj.into()
}

/// "26 Nov 2026" in the local time zone.
pub fn date(at: DateTime<Utc>) -> String {
    js_date(at)
        .to_locale_date_string(
            &locale(),
            &options(&[("year", "numeric"), ("month", "short"), ("day", "numeric")]),
        )
        .into()
}

/// Full local date and time, for hover titles and details.
pub fn date_time(at: DateTime<Utc>) -> String {
    js_date(at)
        .to_locale_string(
            &locale(),
            &options(&[
                ("year", "numeric"),
                ("month", "short"),
                ("day", "numeric"),
                ("hour", "2-digit"),
                ("minute", "2-digit"),
                ("second", "2-digit"),
                ("timeZoneName", "short"),
            ]),
        )
        .into()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "Nov 26" (chrono's strftime machinery would add tens of KB to the wasm).
pub fn short_day(day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{} {}", MONTHS[day.month0() as usize], day.day())
}

/// "2026-11-26".
pub fn iso_day(day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
}

/// The end of a local calendar day (`YYYY-MM-DD`), as UTC.
pub fn end_of_local_day(date: &str) -> Option<DateTime<Utc>> {
    local_time(date, 23, 59, 59)
}

/// The start of a local calendar day (`YYYY-MM-DD`), as UTC.
pub fn start_of_local_day(date: &str) -> Option<DateTime<Utc>> {
    local_time(date, 0, 0, 0)
}

fn local_time(date: &str, hour: i32, minute: i32, second: i32) -> Option<DateTime<Utc>> {
    let mut parts = date.split('-').map(|p| p.parse::<i32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let js =
        js_sys::Date::new_with_year_month_day_hr_min_sec(y as u32, m - 1, d, hour, minute, second);
    let ms = js.get_time();
    if ms.is_nan() {
        return None;
    }
    DateTime::from_timestamp_millis(ms as i64)
}

/// `YYYY-MM-DD` of a moment in local time (for date inputs).
pub fn local_day(at: DateTime<Utc>) -> String {
    let js = js_date(at);
    format!(
        "{:04}-{:02}-{:02}",
        js.get_full_year(),
        js.get_month() + 1,
        js.get_date()
    )
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A span of time in words, rounded to the nearest unit: "42 minutes", "3 hours", "2 days"
/// (a key made to expire in 3 days, looked at a moment later, still expires "in 3 days").
pub fn span(ms: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;
    let secs = (ms.max(0) + 500) / 1000;
    let rounded = |unit: i64| (secs + unit / 2) / unit;
    if secs < MINUTE - 1 {
        plural(secs.max(1), "second")
    } else if secs < HOUR - MINUTE / 2 {
        plural(rounded(MINUTE), "minute")
    } else if secs < DAY - HOUR / 2 {
        plural(rounded(HOUR), "hour")
    } else {
        plural(rounded(DAY), "day")
    }
}

/// "just now", "3 minutes ago", "2 days ago".
pub fn ago(at: DateTime<Utc>, now: i64) -> String {
    let ms = now - at.timestamp_millis();
    if ms < 45_000 {
        "just now".into()
    } else {
        format!("{} ago", span(ms))
    }
}

/// A clock signal that ticks every 15 seconds, so relative times stay true.
#[derive(Clone, Copy)]
pub struct Now(pub RwSignal<i64>);

pub fn provide_now() {
    let now = RwSignal::new(now_ms());
    set_interval(
        move || now.set(now_ms()),
        std::time::Duration::from_secs(15),
    );
    provide_context(Now(now));
}

pub fn use_now() -> RwSignal<i64> {
    use_context::<Now>()
        .map(|n| n.0)
        .unwrap_or_else(|| RwSignal::new(now_ms()))
}

#[component]
pub fn Time(at: DateTime<Utc>, #[prop(optional)] relative: bool) -> impl IntoView {
    let now = use_now();
    let exact = date_time(at);
    let iso = js_date(at).to_iso_string().as_string().unwrap_or_default();
    view! {
        <time datetime=iso title=exact>
            {move || if relative { ago(at, now.get()) } else { date(at) }}
        </time>
    }
}
