use super::{list_users, two_factor_policy, AddUser, ResetPassword, ResetTwoFactor, SaveTwoFactorPolicy, UpdateUser};
use crate::model::Role;
use crate::ui::{format_instant, ErrorSummary, Field, FieldKind};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let reset_two_factor = ServerAction::<ResetTwoFactor>::new();
    let policy_save = ServerAction::<SaveTwoFactorPolicy>::new();
    let users = Resource::new(
        move || (add.version().get(), update.version().get(), reset_two_factor.version().get()),
        |_| list_users(),
    );
    let policy = Resource::new(move || policy_save.version().get(), |_| two_factor_policy());
    let policy_error = Signal::derive(move || policy_save.value().get().and_then(|r| r.err()));
    let reset_two_factor_error = Signal::derive(move || reset_two_factor.value().get().and_then(|r| r.err()));
    let query = leptos_router::hooks::use_query_map();
    let two_factor_off = move || {
        matches!(reset_two_factor.value().get(), Some(Ok(())))
            || query.read().get("two_factor_off").is_some_and(|v| v == "1")
    };
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
        <ErrorSummary error=reset_two_factor_error/>
        {move || two_factor_off().then(|| view! {
            <p class="alert alert-success" role="status">"Two-factor sign-in turned off for them: they sign in with their password, then set it up again."</p>
        })}
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
                                <th scope="col" class="hide-narrow">"Last sign-in"</th><th scope="col">"Two-factor"</th><th scope="col"><span class="visually-hidden">"Action"</span></th>
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
                                let (two_factor_id, two_factor_label) =
                                    (user_id.clone(), format!("Turn off two-factor of {}", u.email));
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
                                            {if u.two_factor {
                                                view! {
                                                    "On "
                                                    <ActionForm action=reset_two_factor>
                                                        <input type="hidden" name="id" value=two_factor_id/>
                                                        <button type="submit" class="button button-small" aria-label=two_factor_label>"Turn off"</button>
                                                    </ActionForm>
                                                }.into_any()
                                            } else {
                                                view! { "Off" }.into_any()
                                            }}
                                        </td>
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
        <section class="card" aria-labelledby="policy-h">
            <h2 id="policy-h">"Two-factor sign-in"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let required = policy.await.unwrap_or(false);
                    view! {
                        <ActionForm action=policy_save>
                            <ErrorSummary error=policy_error/>
                            <div class="field">
                                <label for="policy-required">"Admins"</label>
                                <select id="policy-required" name="required">
                                    <option value="false" selected=!required>"May sign in with a password alone"</option>
                                    <option value="true" selected=required>"Must sign in with two factors"</option>
                                </select>
                                <p class="field-hint">"Required, an admin without it must set it up (on My account) before anything else. Each member can turn it on for themselves on My account."</p>
                            </div>
                            <div class="form-actions"><button type="submit" class="button">"Save the two-factor rule"</button></div>
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
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
