use super::ChangePassword;
use crate::ui::{ErrorSummary, Field, FieldKind, Me};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// One's own account: change the password (the current one required). An admin-set
/// password brings every page here until it is changed.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let query = use_query_map();
    let error = Signal::derive(move || change.value().get().and_then(|r| r.err()));
    let changed =
        move || matches!(change.value().get(), Some(Ok(()))) || query.read().get("changed").is_some_and(|v| v == "1");
    let me = use_context::<Me>();
    view! {
        <Title text="My account · Carnet"/>
        <header class="page-header"><h1>"My account"</h1></header>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let user = match me {
                    Some(me) => me.0.await.ok().flatten(),
                    None => None,
                };
                user.map(|u| view! {
                    <p>{format!("Signed in as {} ({}).", u.email, u.role.label())}</p>
                    {(u.must_change_password && !changed()).then(|| view! {
                        <p class="alert alert-error" role="alert">{crate::auth::PASSWORD_CHANGE_FIRST}</p>
                    })}
                })
            })}
        </Suspense>
        <section class="card" aria-labelledby="password-h">
            <h2 id="password-h">"Change your password"</h2>
            <ActionForm action=change>
                {move || changed().then(|| view! {
                    <p class="alert alert-success" role="status">
                        "Your password is changed; your other sessions are signed out. "
                        <a href="/contacts">"Go to contacts"</a>
                    </p>
                })}
                <ErrorSummary error=error/>
                <Field label="Current password" name="current" key="current" kind=FieldKind::Password required=true
                    error=error autocomplete="current-password"/>
                <Field label="New password" name="password" key="password" kind=FieldKind::Password required=true
                    error=error hint="At least 10 characters; not a common password. A few unrelated words make a good one."
                    autocomplete="new-password"/>
                <Field label="New password again" name="repeat" key="repeat" kind=FieldKind::Password required=true
                    error=error autocomplete="new-password"/>
                <div class="form-actions"><button type="submit" class="button button-primary">"Change password"</button></div>
            </ActionForm>
        </section>
    }
}
