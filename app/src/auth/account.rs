use super::{
    two_factor_state, BeginTwoFactor, CancelTwoFactor, ChangePassword, ConfirmTwoFactor, DisableTwoFactor,
    RenewRecoveryCodes, TwoFactorView,
};
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
                        // A full load: the shell reads again what the account may do.
                        <a href="/contacts" rel="external">"Go to contacts"</a>
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
        <TwoFactorSection/>
    }
}

/// Two-factor sign-in: set up with an authenticator app (a QR code, or the secret
/// typed), confirmed by a first code; then recovery codes, shown once, and turning it
/// off (the password required).
#[component]
fn TwoFactorSection() -> impl IntoView {
    let begin = ServerAction::<BeginTwoFactor>::new();
    let cancel = ServerAction::<CancelTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let renew = ServerAction::<RenewRecoveryCodes>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let state = Resource::new(
        move || {
            (
                begin.version().get(),
                cancel.version().get(),
                confirm.version().get(),
                renew.version().get(),
                disable.version().get(),
            )
        },
        |_| two_factor_state(),
    );
    let begin_error = Signal::derive(move || begin.value().get().and_then(|r| r.err()));
    let confirm_error = Signal::derive(move || confirm.value().get().and_then(|r| r.err()));
    let renew_error = Signal::derive(move || renew.value().get().and_then(|r| r.err()));
    let disable_error = Signal::derive(move || disable.value().get().and_then(|r| r.err()));
    let query = use_query_map();
    let turned_off = move || {
        matches!(disable.value().get(), Some(Ok(()))) || query.read().get("two_factor").is_some_and(|v| v == "off")
    };
    view! {
        <section class="card" aria-labelledby="two-factor-h">
            <h2 id="two-factor-h">"Two-factor sign-in"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match state.await {
                        Err(e) => crate::ui::error_alert(&e).into_any(),
                        Ok(TwoFactorView { enabled: false, pending: None, required, .. }) => view! {
                            {required.then(|| view! { <p class="alert alert-error" role="alert">{crate::auth::TWO_FACTOR_FIRST}</p> })}
                            {move || turned_off().then(|| view! {
                                <p class="alert alert-success" role="status">"Two-factor sign-in is off: your password alone signs you in."</p>
                            })}
                            <p>"Off. With it on, signing in also asks for the code an authenticator app on your phone shows (such as FreeOTP, Aegis, Google Authenticator or 1Password), so a stolen password is not enough."</p>
                            <ActionForm action=begin>
                                <ErrorSummary error=begin_error/>
                                <Field label="Password, to set up two-factor sign-in" name="password" key="begin-password"
                                    kind=FieldKind::Password required=true error=begin_error autocomplete="current-password"/>
                                <div class="form-actions"><button type="submit" class="button button-primary">"Set up two-factor sign-in"</button></div>
                            </ActionForm>
                        }.into_any(),
                        Ok(TwoFactorView { enabled: false, pending: Some(setup), .. }) => view! {
                            <ol class="steps">
                                <li>"Open your authenticator app and add an account by scanning this code:"
                                    <p><img class="qr" src=setup.qr width="200" height="200"
                                        alt="QR code of the two-factor secret (the same secret is written below)"/></p>
                                    <p>"Or type this key: " <code class="secret">{setup.secret}</code>
                                        " (time-based, 6 digits). On the phone itself: "
                                        <a href=setup.url>"open it in the app"</a>"."</p>
                                </li>
                                <li>"Type the code the app now shows for Carnet:"</li>
                            </ol>
                            <ActionForm action=confirm>
                                <ErrorSummary error=confirm_error/>
                                <Field label="Code from the app" name="code" key="code" required=true error=confirm_error
                                    autocomplete="one-time-code"/>
                                <div class="form-actions"><button type="submit" class="button button-primary">"Turn on"</button></div>
                            </ActionForm>
                            <ActionForm action=cancel>
                                <button type="submit" class="button">"Cancel the set-up"</button>
                            </ActionForm>
                        }.into_any(),
                        Ok(view) => {
                            let fresh = view.fresh_codes.clone();
                            view! {
                                <p class="alert alert-success" role="status">
                                    "On: signing in asks for a code from your app. "
                                    // A full load: the shell reads again what the account may do.
                                    <a href="/contacts" rel="external">"Go to contacts"</a>
                                </p>
                                {(!fresh.is_empty()).then(|| view! {
                                    <div class="recovery-codes" role="region" aria-labelledby="recovery-h">
                                        <h3 id="recovery-h">"Your recovery codes"</h3>
                                        <p>"Each signs you in once without the app (a lost phone). Keep them somewhere safe now: they are shown only this once."</p>
                                        <ul class="codes">{fresh.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
                                    </div>
                                })}
                                <p>{format!("Recovery codes left: {}.", view.recovery_codes_left)}</p>
                                <ActionForm action=renew>
                                    <ErrorSummary error=renew_error/>
                                    <Field label="Password, to make new recovery codes" name="password" key="renew-password"
                                        kind=FieldKind::Password required=true error=renew_error autocomplete="current-password"
                                        hint="The old codes stop working."/>
                                    <div class="form-actions"><button type="submit" class="button">"New recovery codes"</button></div>
                                </ActionForm>
                                {if view.required {
                                    view! { <p>"Admins must sign in with two factors here: it cannot be turned off."</p> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=disable>
                                            <ErrorSummary error=disable_error/>
                                            <Field label="Password, to turn two-factor sign-in off" name="password" key="off-password"
                                                kind=FieldKind::Password required=true error=disable_error autocomplete="current-password"/>
                                            <div class="form-actions"><button type="submit" class="button button-danger">"Turn off"</button></div>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
