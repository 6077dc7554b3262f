use super::partner_statement;
use crate::model::contact::format_cents;
use crate::ui::now_secs;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/partners/{id}/statement?month=YYYY-MM`: the month's usage and billing, with CSV.
#[component]
pub fn StatementPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<crate::model::PartnerId>().ok())
            .unwrap_or(crate::model::PartnerId(0))
    };
    let this_month = || now_secs().datetime().format("%Y-%m").to_string();
    let month =
        move || query.read().get("month").filter(|m| super::parse_month(m).is_some()).unwrap_or_else(this_month);
    let statement = Resource::new(move || (id(), month()), |(id, month)| partner_statement(id, month));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match statement.await {
                    Ok(st) => {
                        let csv = format!("/partners/{}/statement.csv?month={}", st.partner.id, st.month);
                        let title = format!("{} — statement for {}", st.partner.name, st.month);
                        view! {
                            <Title text=format!("{title} · Carnet")/>
                            <header class="page-header">
                                <h1>{title}</h1>
                                <a class="button" href=csv download>"Download CSV"</a>
                            </header>
                            <form method="get" class="filters">
                                <div class="field">
                                    <label for="statement-month">"Month"</label>
                                    <input id="statement-month" type="month" name="month" value=st.month.clone()/>
                                </div>
                                <button type="submit" class="button">"Show"</button>
                                <a href="/partners">"Back to partners"</a>
                            </form>
                            {if st.days.is_empty() {
                                view! { <div class="empty-state"><p>"No activity this month."</p></div> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                    <table class="table">
                                        <thead><tr>
                                            <th scope="col">"Day"</th><th scope="col">"Checks"</th><th scope="col">"Known"</th>
                                            <th scope="col">"Leads accepted"</th><th scope="col">"Duplicates refused"</th>
                                            <th scope="col">"Invalid refused"</th><th scope="col">"Billed"</th>
                                        </tr></thead>
                                        <tbody>
                                        {st.days.iter().chain(std::iter::once(&st.totals)).map(|d| view! {
                                            <tr>
                                                <td class="nowrap">{if d.day == "total" { "Total".to_string() } else { d.day.clone() }}</td>
                                                <td>{d.checks}</td><td>{d.hits}</td><td>{d.accepted}</td>
                                                <td>{d.duplicates}</td><td>{d.invalid}</td><td>{format_cents(d.billed_cents)}</td>
                                            </tr>
                                        }).collect_view()}
                                        </tbody>
                                    </table>
                                    </div>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                    Err(e) => crate::ui::error_alert(&e).into_any(),
                }
            })}
        </Suspense>
    }
}
