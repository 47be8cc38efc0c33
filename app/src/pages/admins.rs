//! `/admins`: who can manage keys; add, disable and re-enable admins.

use leptos::prelude::*;

use crate::{
    api::{
        admins::{list_admins, CreateAdmin, SetAdminDisabled, SetAdminRole},
        types::Role,
        validate, ApiError,
    },
    components::{
        fields::{form_message, TextField},
        reauth::sudo_action,
        session::{use_error_reporter, use_session},
        time::Time,
        toast::use_toasts,
    },
};

#[component]
pub fn AdminsPage() -> impl IntoView {
    let report = use_error_reporter();
    let toasts = use_toasts();
    // Mutations are server actions (in sudo mode: they may ask for the password); the list is
    // a resource that reloads whenever one completes.
    let add_admin = sudo_action::<CreateAdmin>();
    let toggle = sudo_action::<SetAdminDisabled>();
    let set_role = sudo_action::<SetAdminRole>();
    let session = use_session();
    let admins = LocalResource::new(move || {
        add_admin.version().track();
        toggle.version().track();
        set_role.version().track();
        list_admins()
    });
    let retry = Callback::new(move |_| admins.refetch());
    Effect::new(move |_| {
        if let Some(Err(e)) = admins.get() {
            report(e, Some(retry));
        }
    });

    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Admin);
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| match add_admin.value().get() {
        Some(Ok(a)) => {
            toasts.info(format!("Added {}", a.name));
            email.set(String::new());
            name.set(String::new());
            password.set(String::new());
            role.set(Role::Admin);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match toggle.value().get() {
        Some(Ok(a)) => toasts.info(if a.disabled {
            format!("Disabled {}", a.name)
        } else {
            format!("Enabled {}", a.name)
        }),
        Some(Err(e)) => report(e, None),
        None => {}
    });
    Effect::new(move |_| match set_role.value().get() {
        Some(Ok(a)) => toasts.info(format!(
            "{} is now {}",
            a.name,
            a.role.label().to_lowercase()
        )),
        Some(Err(e)) => report(e, None),
        None => {}
    });
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        add_admin.dispatch(CreateAdmin {
            email: email.get_untracked(),
            name: name.get_untracked(),
            password: password.get_untracked(),
            role: role.get_untracked(),
        });
    };
    let change_role = move |id: String, to: Role| {
        set_role.dispatch(SetAdminRole { id, role: to });
    };
    let set_disabled = move |id: String, disabled: bool| {
        toggle.dispatch(SetAdminDisabled { id, disabled });
    };
    view! {
        <section class="page admins-page">
            <div class="page-head"><h1>"Admins"</h1></div>
            <div class="table-wrap">
                <table class="admins-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Last login"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Action"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || match admins.get() {
                            None => view! { <tr aria-hidden="true"><td colspan="7"><span class="skeleton"></span></td></tr> }.into_any(),
                            Some(Err(_)) => view! { <tr><td colspan="7">"Admins could not be loaded."</td></tr> }.into_any(),
                            Some(Ok(list)) => list.into_iter().map(|a| {
                                let id = a.id.clone();
                                let role_id = a.id.clone();
                                let disabled = a.disabled;
                                let other_role = if a.role == Role::Admin { Role::Viewer } else { Role::Admin };
                                view! {
                                    <tr>
                                        <th scope="row">{a.name.clone()}{a.is_self.then_some(" (you)")}</th>
                                        <td>{a.email.clone()}</td>
                                        <td><Time at=a.created_at/></td>
                                        <td>{match a.last_login_at {
                                            Some(at) => view! { <Time at=at relative=true/> }.into_any(),
                                            None => view! { <span class="muted">"Never"</span> }.into_any(),
                                        }}</td>
                                        <td>{a.role.label()}</td>
                                        <td>{if disabled { "Disabled" } else { "Active" }}</td>
                                        <td class="row-actions">
                                            {(session.can_manage()).then(|| view! {
                                                <button type="button" class="btn btn-secondary btn-small"
                                                    aria-label=format!("Make {}: {}", other_role.label().to_lowercase(), a.name)
                                                    on:click=move |_| change_role(role_id.clone(), other_role)>
                                                    {format!("Make {}", other_role.label().to_lowercase())}
                                                </button>
                                            })}
                                            {(!a.is_self && session.can_manage()).then(|| view! {
                                                <button type="button" class=if disabled { "btn btn-secondary btn-small" } else { "btn btn-danger btn-small" }
                                                    aria-label=format!("{} {}", if disabled { "Enable" } else { "Disable" }, a.name)
                                                    on:click=move |_| set_disabled(id.clone(), !disabled)>
                                                    {if disabled { "Enable" } else { "Disable" }}
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view().into_any(),
                        }}
                    </tbody>
                </table>
            </div>
            <Show when=move || session.can_manage()>
            <form class="card form add-admin" on:submit=add novalidate>
                <h2>"Add admin"</h2>
                <p class="form-error" role="alert" class:hidden=move || form_message(error.get(), &["email", "name", "password"]).is_none()>
                    {move || form_message(error.get(), &["email", "name", "password"]).unwrap_or_default()}
                </p>
                <TextField label="Email" name="email" form="admin" kind="email" required=true autocomplete="off" value=email errors=error/>
                <TextField label="Name" name="name" form="admin" required=true autocomplete="off" value=name errors=error/>
                <TextField label="Password" name="password" form="admin" kind="password" required=true minlength=validate::PASSWORD_MIN autocomplete="new-password" hint=format!("At least {} characters. Share it with them securely.", validate::PASSWORD_MIN) value=password errors=error/>
                <fieldset class="field choices">
                    <legend>"Role"</legend>
                    {Role::ALL.into_iter().map(|r| view! {
                        <label class="check">
                            <input type="radio" name="admin-role" prop:checked=move || role.get() == r
                                on:change=move |_| role.set(r)/>
                            <span>{r.label()}" — "{r.description()}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="btn btn-primary" disabled=move || add_admin.pending().get()>"Add admin"</button>
            </form>
            </Show>
        </section>
    }
}
