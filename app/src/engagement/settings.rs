//! `/engagement/settings`: the thresholds and whether opens count (admins change them).

use super::{get_engagement_settings, SaveEngagementSettings};
use crate::model::Permission;
use crate::ui::{allowed, ErrorSummary, Field, Me};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn EngagementSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveEngagementSettings>::new();
    let current = Resource::new(move || save.version().get(), |_| get_engagement_settings());
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let query = use_query_map();
    let saved = move || query.read().get("saved").is_some() || matches!(save.value().get(), Some(Ok(())));
    let me = use_context::<Me>();
    view! {
        <Title text="Engagement settings · Carnet"/>
        <header class="page-header"><h1>"Engagement settings"</h1></header>
        <p class="muted">"A contact's status comes from the date of its last interaction. Choose the limits that fit how often your customers buy and read."</p>
        {move || saved().then(|| view! { <p class="alert alert-success" role="status">"Saved. Statuses and the dashboard follow the new settings."</p> })}
        <ErrorSummary error/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_save = allowed(me, Permission::ManageSettings).await;
                match current.await {
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                    Ok(s) => view! {
                        <ActionForm action=save>
                            <fieldset disabled=!can_save>
                                <Field label="Recent activity: up to this many days after an interaction" name="recent_days" key="recent_days" value=s.thresholds.recent_days.to_string() error/>
                                <Field label="Engaged: up to (days)" name="engaged_days" key="engaged_days" value=s.thresholds.engaged_days.to_string() error/>
                                <Field label="Disengaged: up to (days); inactive after" name="disengaged_days" key="disengaged_days" value=s.thresholds.disengaged_days.to_string() error/>
                                <Field label="A contact with no interaction is new for (days)" name="new_days" key="new_days" value=s.thresholds.new_days.to_string() error/>
                                <Field label="List cleaning: “no interaction in N months”" name="idle_months" key="idle_months" value=s.idle_months.to_string() error/>
                                <div class="field">
                                    <label class="choice"><input type="checkbox" name="opens_count" value="yes" checked=s.opens_count/>
                                        " Opens count as interactions"</label>
                                    <p class="field-hint">"Privacy proxies (Apple Mail) open every message, so opens inflate engagement. Clicks, purchases, replies, visits and forms always count."</p>
                                </div>
                                <button type="submit" class="button button-primary">"Save"</button>
                            </fieldset>
                            {(!can_save).then(|| view! { <p class="muted small">"Only admins change these settings."</p> })}
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
