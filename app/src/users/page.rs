use super::{list_users, AddUser, ResetPassword, UpdateUser};
use crate::model::Role;
use crate::ui::{format_instant, ErrorSummary, Field, FieldKind};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let users = Resource::new(move || (add.version().get(), update.version().get()), |_| list_users());
    let reset_error = Signal::derive(move || reset.value().get().and_then(|r| r.err()));
    let was_reset = move || matches!(reset.value().get(), Some(Ok(())));
    let add_error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let added = move || matches!(add.value().get(), Some(Ok(_)));
    view! {
        <Title text="Staff users · Carnet"/>
        <header class="page-header"><h1>"Staff users"</h1></header>
        <ErrorSummary error=update_error/>
        <ErrorSummary error=reset_error/>
        {move || was_reset().then(|| view! {
            <p class="alert alert-success" role="status">"Password reset: they choose their own at their next sign-in, and their sessions are ended."</p>
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! {
                        <div class="table-wrap">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th>
                                <th scope="col" class="hide-narrow">"Last sign-in"</th><th scope="col"><span class="visually-hidden">"Action"</span></th>
                            </tr></thead>
                            <tbody>
                            {list.into_iter().map(|u| {
                                let role_id = format!("role-{}", u.id);
                                let user_id = u.id.to_string();
                                let (reset_id, reset_label, reset_button) = (
                                    format!("reset-{}", u.id),
                                    format!("Temporary password for {}", u.email),
                                    format!("Reset password of {}", u.email),
                                );
                                let active_id = format!("active-{}", u.id);
                                view! {
                                    <tr>
                                        <td>{u.email.clone()}</td>
                                        <td colspan="2">
                                            <ActionForm action=update>
                                                <div class="inline-form">
                                                    <input type="hidden" name="id" value=u.id.to_string()/>
                                                    <label class="visually-hidden" for=role_id.clone()>{format!("Role of {}", u.email)}</label>
                                                    <select id=role_id name="role">
                                                        {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=u.role == r>{r.label()}</option> }).collect_view()}
                                                    </select>
                                                    <label class="visually-hidden" for=active_id.clone()>{format!("Status of {}", u.email)}</label>
                                                    <select id=active_id name="active">
                                                        <option value="true" selected=u.active>"Active"</option>
                                                        <option value="false" selected=!u.active>"Deactivated"</option>
                                                    </select>
                                                    <button type="submit" class="button button-small">{format!("Save {}", u.email)}</button>
                                                </div>
                                            </ActionForm>
                                        </td>
                                        <td class="hide-narrow">{u.last_login_at.map(format_instant).unwrap_or_else(|| "Never".into())}</td>
                                        <td>
                                            <ActionForm action=reset>
                                                <div class="inline-form">
                                                    <input type="hidden" name="id" value=user_id.clone()/>
                                                    <label class="visually-hidden" for=reset_id.clone()>{reset_label}</label>
                                                    <input id=reset_id name="password" type="password" autocomplete="new-password"
                                                        placeholder="Temporary password" required=true minlength="10"/>
                                                    <button type="submit" class="button button-small">{reset_button}</button>
                                                </div>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any(),
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                }
            })}
        </Suspense>
        <section class="card" aria-labelledby="add-user-h">
            <h2 id="add-user-h">"Add a staff user"</h2>
            <ActionForm action=add>
                {move || added().then(|| view! { <p class="alert alert-success" role="status">"User added."</p> })}
                <ErrorSummary error=add_error/>
                <div class="grid-2">
                    <Field label="Email" name="email" key="email" kind=FieldKind::Email required=true error=add_error autocomplete="off"/>
                    <div class="field">
                        <label for="new-user-role">"Role"</label>
                        <select id="new-user-role" name="role">
                            {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == Role::Viewer>{r.label()}</option> }).collect_view()}
                        </select>
                    </div>
                    <Field label="Password" name="password" key="password" kind=FieldKind::Password required=true error=add_error
                        hint="At least 10 characters; they choose their own at their first sign-in" autocomplete="new-password"/>
                </div>
                <div class="form-actions"><button type="submit" class="button button-primary">"Add user"</button></div>
            </ActionForm>
        </section>
    }
}
