use super::Login;
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
        <main class="auth-page">
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
