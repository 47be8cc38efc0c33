//! One key in the list: select box, name with status badges, secret, dates, creator, actions.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_router::components::A;

use super::columns::{Column, Columns};
use crate::{
    api::types::{KeyItem, KeyStatus, Scope},
    components::{
        icons,
        list_url::LastListUrl,
        secret::{CopyButton, RevealButton, SecretState, SecretText},
        session::use_session,
        time::{self, use_now, Time},
    },
};

/// "Expires in 3 days" when a key expires within a week.
fn expiry_badge(item: &KeyItem, now: i64) -> Option<String> {
    let at = item.expires_at?.timestamp_millis();
    let left = at - now;
    (item.status == KeyStatus::Active && left > 0 && left < 7 * 86_400_000)
        .then(|| format!("Expires in {}", time::span(left)))
}

/// "Leaked — found at <url>" once a key was reported leaked.
pub fn leaked_badge(item: &KeyItem) -> Option<String> {
    item.leaked_at.map(|_| match &item.leaked_url {
        Some(url) => format!("Leaked — found at {url}"),
        None => "Leaked".to_owned(),
    })
}

#[component]
pub fn KeyRow(
    item: KeyItem,
    selected: RwSignal<HashSet<String>>,
    columns: Columns,
    on_delete: Callback<KeyItem>,
) -> impl IntoView {
    let now = use_now();
    // A viewer sees the row without what the server would refuse them.
    let manage = use_session().can_manage();
    let last_list = expect_context::<LastListUrl>();
    let id = StoredValue::new(item.id.clone());
    let href = format!("/keys/{}", item.id);
    let secret = SecretState::new(&item);
    let is_selected = move || id.with_value(|id| selected.get().contains(id));
    let badge = expiry_badge(&item, now.get_untracked());
    let leaked = leaked_badge(&item);
    let status = item.status;
    let to_delete = item.clone();
    let (name, full_name) = (item.name.clone(), item.name.clone());
    let expires_at = item.expires_at;
    // A key that can change keys and never expires is worth a second look.
    let lasting_writer = expires_at.is_none() && item.scopes.contains(&Scope::KeysWrite);
    let project = StoredValue::new(item.project.clone());
    let scopes = StoredValue::new(item.scopes.clone());
    view! {
        // Not a tab stop of its own: its link and buttons are.
        <tr class:row-selected=is_selected>
            <td class="col-select">
                {manage.then(|| view! {
                    <input type="checkbox" aria-label=format!("Select {}", item.name)
                        prop:checked=is_selected
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| {
                                if on { s.insert(id.get_value()); } else { s.remove(&id.get_value()); }
                            });
                        }/>
                })}
            </td>
            <th scope="row" class="col-name" on:click=move |_| last_list.open_from_list(&id.get_value())>
                // A long name is cut with an ellipsis; the whole of it is the link's title.
                <span class="cell">
                    <A href=href attr:title=full_name>{name}</A>
                    {(status != KeyStatus::Active).then(|| view! {
                        <span class=format!("badge badge-{}", status.label().to_lowercase())>{status.label()}</span>
                    })}
                    {badge.map(|b| view! { <span class="badge badge-warn">{b}</span> })}
                    {leaked.map(|found| view! { <span class="badge badge-leaked" title=found.clone()>{found.clone()}</span> })}
                </span>
            </th>
            // `data-label`: the column's name, shown in the card layout of narrow screens.
            <td class="col-secret" data-label="Secret Key"><SecretText state=secret/></td>
            <td class="col-created" data-label="Created"><Time at=item.created_at/></td>
            <td class="col-last_used" data-label="Last Used">
                {match item.last_used_at {
                    Some(at) => view! { <Time at=at relative=true/> }.into_any(),
                    None => view! { <span class="muted">"Never"</span> }.into_any(),
                }}
            </td>
            {move || columns.shows(Column::Expires).then(|| view! {
                <td class="col-expires" data-label="Expires">
                    {match expires_at {
                        Some(at) => view! { <Time at=at/> }.into_any(),
                        None => view! {
                            <span class="muted">"Never"</span>
                            {lasting_writer.then(|| view! {
                                <span class="warn-icon" role="img" aria-label="Can change keys and never expires"
                                    title="This key can change other keys and never expires: consider setting an expiry.">"⚠"</span>
                            })}
                        }.into_any(),
                    }}
                </td>
            })}
            {move || columns.shows(Column::Project).then(|| view! {
                <td class="col-project" data-label="Project" title=project.get_value()>
                    {project.get_value().unwrap_or_else(|| "—".into())}
                </td>
            })}
            {move || columns.shows(Column::Scopes).then(|| view! {
                <td class="col-scopes" data-label="Scopes">
                    {scopes.with_value(|s| if s.is_empty() {
                        view! { <span class="muted">"None"</span> }.into_any()
                    } else {
                        view! {
                            <ul class="scope-chips" aria-label="Scopes">
                                {s.iter().map(|s| view! { <li><code>{s.as_str()}</code></li> }).collect_view()}
                            </ul>
                        }.into_any()
                    })}
                </td>
            })}
            <td class="col-creator" data-label="Created By" title=item.created_by.clone()>{item.created_by.clone()}</td>
            <td class="col-actions"><div class="row-actions">
                {manage.then(|| view! {
                    <RevealButton state=secret toggle_label="View"/>
                    <CopyButton state=secret/>
                    <button type="button" class="btn-icon danger" aria-label="Delete" title="Delete key"
                        on:click=move |_| on_delete.run(to_delete.clone())>
                        <icons::Trash/>
                    </button>
                })}
            </div></td>
        </tr>
    }
}
