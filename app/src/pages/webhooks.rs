//! `/webhooks`: endpoints that receive signed key events; add, edit, test, roll, disable, delete,
//! and each endpoint's delivery log with Resend.

use leptos::prelude::*;

use crate::{
    api::{
        webhooks::{
            list_webhooks,
            types::{
                CreatedWebhook, NewWebhook, WebhookEndpoint, WebhookEvent, WebhookPatch,
                MAX_WEBHOOK_DESCRIPTION_LEN, MAX_WEBHOOK_URL_LEN,
            },
            webhook_deliveries, CreateWebhook, DeleteWebhook, ResendWebhook, RollWebhookSecret,
            TestWebhook, UpdateWebhook,
        },
        ApiError,
    },
    components::{
        fields::{form_message, TextField},
        modal::Modal,
        reauth::sudo_action,
        session::{use_error_reporter, use_session},
        time::Time,
        toast::use_toasts,
    },
    pages::key_dialogs::SecretOnce,
};

/// Admins manage webhooks; viewers are told so (the functions refuse them).
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Show when=move || session.can_manage() fallback=|| view! {
            <section class="page webhooks-page">
                <div class="page-head"><h1>"Webhooks"</h1></div>
                <p class="muted">"Only admins manage webhooks."</p>
            </section>
        }>
            <WebhooksAdmin/>
        </Show>
    }
}

#[component]
fn WebhooksAdmin() -> impl IntoView {
    let report = use_error_reporter();
    let toasts = use_toasts();
    let create = sudo_action::<CreateWebhook>();
    let update = sudo_action::<UpdateWebhook>();
    let delete = sudo_action::<DeleteWebhook>();
    let roll = sudo_action::<RollWebhookSecret>();
    let test = ServerAction::<TestWebhook>::new();
    let resend = ServerAction::<ResendWebhook>::new();
    let endpoints = LocalResource::new(move || {
        create.version().track();
        update.version().track();
        delete.version().track();
        roll.version().track();
        list_webhooks()
    });
    let retry = Callback::new(move |_| endpoints.refetch());
    Effect::new(move |_| {
        if let Some(Err(e)) = endpoints.get() {
            report(e, Some(retry));
        }
    });

    // The endpoint whose deliveries show.
    let selected = RwSignal::new(None::<WebhookEndpoint>);
    let refresh = RwSignal::new(0u32);
    let deliveries = LocalResource::new(move || {
        refresh.track();
        test.version().track();
        resend.version().track();
        let id = selected.with(|s| s.as_ref().map(|e| e.id.clone()));
        async move {
            match id {
                Some(id) => webhook_deliveries(id, None).await.map(Some),
                None => Ok(None),
            }
        }
    });
    // Attempts run in the background: look again shortly after a test or a resend.
    let look_again = move || {
        set_timeout(
            move || refresh.update(|n| *n += 1),
            std::time::Duration::from_millis(800),
        );
    };

    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let events = RwSignal::new(WebhookEvent::ALL.to_vec());
    let error = RwSignal::new(None::<ApiError>);
    let secret_open = RwSignal::new(false);
    let shown = RwSignal::new(None::<CreatedWebhook>);
    let copied = RwSignal::new(false);
    let show_secret = move |created: CreatedWebhook| {
        copied.set(false);
        shown.set(Some(created));
        secret_open.set(true);
    };
    Effect::new(move |_| match create.value().get() {
        Some(Ok(created)) => {
            url.set(String::new());
            description.set(String::new());
            events.set(WebhookEvent::ALL.to_vec());
            show_secret(created);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match roll.value().get() {
        Some(Ok(created)) => show_secret(created),
        Some(Err(e)) => report(e, None),
        None => {}
    });
    Effect::new(move |_| match update.value().get() {
        Some(Ok(e)) => toasts.info(if e.disabled_at.is_some() {
            format!("Disabled {}", e.url)
        } else {
            format!("Saved {}", e.url)
        }),
        Some(Err(e)) => report(e, None),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            toasts.info("Endpoint deleted".to_owned());
            selected.set(None);
        }
        Some(Err(e)) => report(e, None),
        None => {}
    });
    Effect::new(move |_| match test.value().get() {
        Some(Ok(_)) => {
            toasts.info("Test event sent".to_owned());
            look_again();
        }
        Some(Err(e)) => report(e, None),
        None => {}
    });
    Effect::new(move |_| match resend.value().get() {
        Some(Ok(())) => {
            toasts.info("Message queued again".to_owned());
            look_again();
        }
        Some(Err(e)) => report(e, None),
        None => {}
    });

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        create.dispatch(CreateWebhook {
            input: NewWebhook {
                url: url.get_untracked(),
                events: events.get_untracked(),
                description: description.get_untracked(),
            },
        });
    };
    let confirm_roll = RwSignal::new(None::<WebhookEndpoint>);
    let rolling = RwSignal::new(false);
    Effect::new(move |_| rolling.set(confirm_roll.with(Option::is_some)));
    let confirm_delete = RwSignal::new(None::<WebhookEndpoint>);
    let deleting = RwSignal::new(false);
    Effect::new(move |_| deleting.set(confirm_delete.with(Option::is_some)));

    // Edit: URL, description and events of one endpoint, in a dialog.
    let edit = sudo_action::<UpdateWebhook>();
    let editing = RwSignal::new(None::<WebhookEndpoint>);
    let edit_open = RwSignal::new(false);
    let edit_url = RwSignal::new(String::new());
    let edit_description = RwSignal::new(String::new());
    let edit_events = RwSignal::new(Vec::<WebhookEvent>::new());
    let edit_error = RwSignal::new(None::<ApiError>);
    let start_edit = Callback::new(move |e: WebhookEndpoint| {
        edit_url.set(e.url.clone());
        edit_description.set(e.description.clone());
        edit_events.set(e.events.clone());
        edit_error.set(None);
        editing.set(Some(e));
        edit_open.set(true);
    });
    Effect::new(move |_| match edit.value().get() {
        Some(Ok(e)) => {
            toasts.info(format!("Saved {}", e.url));
            edit_open.set(false);
            endpoints.refetch();
        }
        Some(Err(e)) => edit_error.set(Some(e)),
        None => {}
    });
    let save_edit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        edit_error.set(None);
        let Some(id) = editing.with_untracked(|e| e.as_ref().map(|e| e.id.clone())) else {
            return;
        };
        edit.dispatch(UpdateWebhook {
            id,
            patch: WebhookPatch {
                url: Some(edit_url.get_untracked()),
                events: Some(edit_events.get_untracked()),
                description: Some(edit_description.get_untracked()),
                disabled: None,
            },
        });
    };

    view! {
        <section class="page webhooks-page">
            <div class="page-head"><h1>"Webhooks"</h1></div>
            <p class="muted">"Each endpoint gets the key events it wants, signed per the Standard Webhooks specification with its own secret."</p>
            <div class="table-wrap">
                <table class="webhooks-table">
                    <thead>
                        <tr>
                            <th scope="col">"Endpoint"</th>
                            <th scope="col">"Events"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Action"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || match endpoints.get() {
                            None => view! { <tr aria-hidden="true"><td colspan="5"><span class="skeleton"></span></td></tr> }.into_any(),
                            Some(Err(_)) => view! { <tr><td colspan="5">"Endpoints could not be loaded."</td></tr> }.into_any(),
                            Some(Ok(list)) if list.is_empty() => view! { <tr><td colspan="5" class="muted">"No endpoints yet: add one below."</td></tr> }.into_any(),
                            Some(Ok(list)) => list.into_iter().map(|e| endpoint_row(e, selected, update, confirm_roll, test, confirm_delete, start_edit)).collect_view().into_any(),
                        }}
                    </tbody>
                </table>
            </div>
            {move || selected.get().map(|endpoint| view! {
                <section class="card deliveries" aria-label="Deliveries">
                    <div class="page-head">
                        <h2>"Deliveries to "{endpoint.url.clone()}</h2>
                        <button type="button" class="btn btn-secondary btn-small" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
                    </div>
                    <div class="table-wrap">
                        <table class="deliveries-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Time"</th>
                                    <th scope="col">"Event"</th>
                                    <th scope="col">"Attempt"</th>
                                    <th scope="col">"Response"</th>
                                    <th scope="col">"Duration"</th>
                                    <th scope="col">"Message"</th>
                                    <th scope="col">"Action"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || match deliveries.get() {
                                    None => view! { <tr aria-hidden="true"><td colspan="7"><span class="skeleton"></span></td></tr> }.into_any(),
                                    Some(Err(_)) => view! { <tr><td colspan="7">"Deliveries could not be loaded."</td></tr> }.into_any(),
                                    Some(Ok(None)) => ().into_any(),
                                    Some(Ok(Some(list))) if list.is_empty() => view! { <tr><td colspan="7" class="muted">"Nothing sent yet."</td></tr> }.into_any(),
                                    Some(Ok(Some(list))) => list.into_iter().map(|a| {
                                        let endpoint_id = endpoint.id.clone();
                                        let message_id = a.message_id.clone();
                                        let outcome = match (a.status_code, a.error.clone()) {
                                            (Some(code), _) => code.to_string(),
                                            (None, Some(error)) => error,
                                            (None, None) => "—".to_owned(),
                                        };
                                        view! {
                                            <tr>
                                                <td><Time at=a.at relative=true/></td>
                                                <td><code>{a.event_type.clone()}</code></td>
                                                <td>{a.attempt}</td>
                                                <td class=if a.succeeded { "ok" } else { "bad" }>
                                                    {outcome}
                                                    {(!a.response.is_empty()).then(|| view! {
                                                        <details><summary>"Body"</summary><pre class="response-body">{a.response.clone()}</pre></details>
                                                    })}
                                                </td>
                                                <td>{format!("{} ms", a.duration_ms)}</td>
                                                <td>{a.delivery_status.label()}
                                                    {a.next_attempt_at.map(|at| view! { <span class="muted">", next "<Time at=at relative=true/></span> })}
                                                </td>
                                                <td>
                                                    <button type="button" class="btn btn-secondary btn-small"
                                                        aria-label=format!("Resend {} (attempt {})", a.event_type, a.attempt)
                                                        on:click=move |_| { resend.dispatch(ResendWebhook { id: endpoint_id.clone(), message_id: message_id.clone() }); }>
                                                        "Resend"
                                                    </button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view().into_any(),
                                }}
                            </tbody>
                        </table>
                    </div>
                </section>
            })}
            <form class="card form add-webhook" on:submit=add novalidate>
                <h2>"Add endpoint"</h2>
                <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &["url", "events", "description"]).is_none()>
                    {move || form_message(error.get(), &["url", "events", "description"]).unwrap_or_default()}
                </p>
                <TextField label="Endpoint URL" name="url" form="webhook" kind="url" required=true autocomplete="off" placeholder="https://shop.example/webhooks" maxlength=MAX_WEBHOOK_URL_LEN value=url errors=error/>
                <TextField label="Description" name="description" form="webhook" autocomplete="off" maxlength=MAX_WEBHOOK_DESCRIPTION_LEN value=description errors=error/>
                <EventChoices events=events/>
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Add endpoint"</button>
            </form>
            <Modal open=secret_open title=Signal::derive(|| "Signing secret".to_owned()) on_close=Callback::new(move |_| shown.set(None))>
                {move || shown.get().map(|created| view! {
                    <div class="dialog-body">
                        <p>"Events to "{created.endpoint.url.clone()}" are signed with this secret. Give it to the receiver to verify the webhook-signature header."</p>
                        <SecretOnce secret=created.secret.clone() recoverable=false copied=copied/>
                        <div class="dialog-actions">
                            <button type="button" class="btn btn-primary" on:click=move |_| secret_open.set(false)>"Done"</button>
                        </div>
                    </div>
                })}
            </Modal>
            <Modal open=edit_open title=Signal::derive(|| "Edit endpoint".to_owned())>
                <form class="dialog-body form" on:submit=save_edit novalidate>
                    <p class="form-error" role="alert" class:hidden=move || form_message(edit_error.get(), &["url", "events", "description"]).is_none()>
                        {move || form_message(edit_error.get(), &["url", "events", "description"]).unwrap_or_default()}
                    </p>
                    <TextField label="Endpoint URL" name="url" form="edit-webhook" kind="url" required=true autocomplete="off" maxlength=MAX_WEBHOOK_URL_LEN value=edit_url errors=edit_error/>
                    <TextField label="Description" name="description" form="edit-webhook" autocomplete="off" maxlength=MAX_WEBHOOK_DESCRIPTION_LEN value=edit_description errors=edit_error/>
                    <EventChoices events=edit_events/>
                    <div class="dialog-actions">
                        <button type="button" class="btn btn-ghost" on:click=move |_| edit_open.set(false)>"Cancel"</button>
                        <button type="submit" class="btn btn-primary" disabled=move || edit.pending().get()>"Save"</button>
                    </div>
                </form>
            </Modal>
            <Modal open=rolling title=Signal::derive(|| "Roll secret?".to_owned()) on_close=Callback::new(move |_| confirm_roll.set(None))>
                {move || confirm_roll.get().map(|e| {
                    let id = e.id.clone();
                    let overlapping = e.previous_secret_expires_at.is_some_and(|at| at.timestamp_millis() > crate::components::time::now_ms());
                    view! {
                        <div class="dialog-body">
                            <p>"A new secret signs events to "{e.url.clone()}" from now on. The current one also signs them for 24 hours, so the receiver can switch without missing one."</p>
                            {overlapping.then(|| view! {
                                <p class="warning"><strong>"The secret before the current one stops signing now:"</strong>" it was rolled less than a day ago."</p>
                            })}
                            <div class="dialog-actions">
                                <button type="button" class="btn btn-ghost" on:click=move |_| confirm_roll.set(None)>"Cancel"</button>
                                <button type="button" class="btn btn-primary" disabled=move || roll.pending().get() on:click=move |_| {
                                    roll.dispatch(RollWebhookSecret { id: id.clone() });
                                    confirm_roll.set(None);
                                }>"Roll secret"</button>
                            </div>
                        </div>
                    }
                })}
            </Modal>
            <Modal open=deleting title=Signal::derive(|| "Delete endpoint?".to_owned()) on_close=Callback::new(move |_| confirm_delete.set(None))>
                {move || confirm_delete.get().map(|e| {
                    let id = e.id.clone();
                    view! {
                        <div class="dialog-body">
                            <p>"Nothing more will be sent to "{e.url.clone()}", and its delivery log goes with it."</p>
                            <div class="dialog-actions">
                                <button type="button" class="btn btn-ghost" on:click=move |_| confirm_delete.set(None)>"Cancel"</button>
                                <button type="button" class="btn btn-danger" on:click=move |_| {
                                    delete.dispatch(DeleteWebhook { id: id.clone() });
                                    confirm_delete.set(None);
                                }>"Delete"</button>
                            </div>
                        </div>
                    }
                })}
            </Modal>
        </section>
    }
}

/// The event checkboxes, one per event type, with what each means.
#[component]
fn EventChoices(events: RwSignal<Vec<WebhookEvent>>) -> impl IntoView {
    view! {
        <fieldset class="field choices">
            <legend>"Events"</legend>
            {WebhookEvent::ALL.into_iter().map(|ev| view! {
                <label class="check">
                    <input type="checkbox" prop:checked=move || events.with(|e| e.contains(&ev))
                        on:change=move |_| events.update(|e| if let Some(i) = e.iter().position(|x| *x == ev) { e.remove(i); } else { e.push(ev); })/>
                    <span><code>{ev.as_str()}</code>" — "{ev.description()}</span>
                </label>
            }).collect_view()}
        </fieldset>
    }
}

fn endpoint_row(
    e: WebhookEndpoint,
    selected: RwSignal<Option<WebhookEndpoint>>,
    update: crate::components::reauth::SudoAction<UpdateWebhook>,
    confirm_roll: RwSignal<Option<WebhookEndpoint>>,
    test: ServerAction<TestWebhook>,
    confirm_delete: RwSignal<Option<WebhookEndpoint>>,
    start_edit: Callback<WebhookEndpoint>,
) -> impl IntoView {
    let disabled = e.disabled_at.is_some();
    let (id1, id3) = (e.id.clone(), e.id.clone());
    let for_roll = e.clone();
    let for_select = e.clone();
    let for_delete = e.clone();
    let for_edit = e.clone();
    let url = e.url.clone();
    let events = if e.events.len() == WebhookEvent::ALL.len() {
        "All events".to_owned()
    } else {
        e.events
            .iter()
            .map(|ev| ev.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <tr>
            <th scope="row">
                <span class="webhook-url">{e.url.clone()}</span>
                {(!e.description.is_empty()).then(|| view! { <div class="muted">{e.description.clone()}</div> })}
            </th>
            <td>{events}</td>
            <td>
                {if disabled { "Disabled" } else if e.failing_since.is_some() { "Failing" } else { "Active" }}
                {e.disabled_reason.clone().map(|r| view! { <div class="muted">{r}</div> })}
                {e.failing_since.map(|at| view! { <div class="muted">"Failing since "<Time at=at relative=true/></div> })}
            </td>
            <td><Time at=e.created_at/></td>
            <td class="row-actions">
                <button type="button" class="btn btn-secondary btn-small" aria-label=format!("Deliveries: {url}")
                    on:click=move |_| selected.set(Some(for_select.clone()))>"Deliveries"</button>
                <button type="button" class="btn btn-secondary btn-small" aria-label=format!("Edit {url}")
                    on:click=move |_| start_edit.run(for_edit.clone())>"Edit"</button>
                <button type="button" class="btn btn-secondary btn-small" aria-label=format!("Send test event: {url}") disabled=disabled
                    on:click=move |_| { test.dispatch(TestWebhook { id: id1.clone() }); }>"Send test event"</button>
                <button type="button" class="btn btn-secondary btn-small" aria-label=format!("Roll secret: {url}")
                    on:click=move |_| confirm_roll.set(Some(for_roll.clone()))>"Roll secret"</button>
                <button type="button" class=if disabled { "btn btn-secondary btn-small" } else { "btn btn-danger btn-small" }
                    aria-label=format!("{} {url}", if disabled { "Enable" } else { "Disable" })
                    on:click=move |_| { update.dispatch(UpdateWebhook { id: id3.clone(), patch: WebhookPatch { disabled: Some(!disabled), ..Default::default() } }); }>
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
                <button type="button" class="btn btn-danger btn-small" aria-label=format!("Delete {url}")
                    on:click=move |_| confirm_delete.set(Some(for_delete.clone()))>"Delete"</button>
            </td>
        </tr>
    }
}
