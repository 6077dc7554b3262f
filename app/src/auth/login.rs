use super::{Login, SignInCode};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || action.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Sign in · Carnet"/>
        <main class="auth-page" id="main">
            <div class="auth-card">
                <p class="brand brand-large">"Carnet"</p>
                <h1>"Sign in"</h1>
                <ActionForm action=action>
                    {move || error().map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="login-email">"Email"</label>
                        <input id="login-email" name="email" type="email" autocomplete="username" required/>
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        <input id="login-password" name="password" type="password" autocomplete="current-password" required/>
                    </div>
                    <button type="submit" class="button button-primary">"Sign in"</button>
                </ActionForm>
            </div>
        </main>
    }
}

/// The second step of signing in, after a right password: the code the authenticator
/// app shows, or a recovery code.
#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || action.value().get().and_then(|r| r.err());
    let message = move || error().map(|e| e.field("code").unwrap_or_else(|| e.to_string()));
    let expired = move || matches!(error(), Some(crate::error::AppError::Refused(_)));
    view! {
        <Title text="Two-factor sign-in · Carnet"/>
        <main class="auth-page" id="main">
            <div class="auth-card">
                <p class="brand brand-large">"Carnet"</p>
                <h1>"Two-factor sign-in"</h1>
                <ActionForm action=action>
                    {move || message().map(|e| view! { <p class="alert alert-error" role="alert" id="code-error">{e}</p> })}
                    {move || expired().then(|| view! { <p><a href="/login">"Sign in again"</a></p> })}
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="login-code">"Code"</label>
                        <p class="hint" id="login-code-hint">"The six digits your authenticator app shows for Carnet, or one of your recovery codes."</p>
                        <input id="login-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                            aria-describedby="login-code-hint" maxlength="64" required autofocus/>
                    </div>
                    <button type="submit" class="button button-primary">"Verify"</button>
                </ActionForm>
                <p><a href="/login">"Start again"</a></p>
            </div>
        </main>
    }
}
