//! The contact form's fields, shared by "new" and "edit".

use crate::error::AppError;
use crate::model::{Channel, ContactForm};
use crate::ui::{Field, FieldKind};
use leptos::prelude::*;

#[component]
pub fn ContactFields(values: ContactForm, #[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let selected = values.channel.clone();
    view! {
        <fieldset>
            <legend>"Personal data"</legend>
            <div class="grid-2">
                <Field label="First name" name="form[first_name]" key="first_name" value=values.first_name error autocomplete="off"/>
                <Field label="Last name" name="form[last_name]" key="last_name" value=values.last_name error autocomplete="off"/>
                <Field label="Email" name="form[email]" key="email" kind=FieldKind::Email value=values.email required=true error autocomplete="off"/>
                <Field label="Phone" name="form[phone]" key="phone" kind=FieldKind::Tel value=values.phone error autocomplete="off"/>
                <Field label="Birth date" name="form[birth_date]" key="birth_date" kind=FieldKind::Date value=values.birth_date error/>
                <Field label="Job title" name="form[job_title]" key="job_title" value=values.job_title error/>
                <Field label="Company" name="form[company]" key="company" value=values.company error/>
            </div>
        </fieldset>
        <fieldset>
            <legend>"Postal address"</legend>
            <div class="grid-2">
                <Field label="Address" name="form[address_line1]" key="address_line1" value=values.address_line1 error/>
                <Field label="Address (line 2)" name="form[address_line2]" key="address_line2" value=values.address_line2 error/>
                <Field label="Postal code" name="form[postal_code]" key="postal_code" value=values.postal_code error/>
                <Field label="City" name="form[city]" key="city" value=values.city error/>
                <Field label="Country" name="form[country]" key="country" value=values.country error/>
            </div>
        </fieldset>
        <fieldset>
            <legend>"Targeting"</legend>
            <div class="grid-2">
                <Field label="Interests" name="form[interests]" key="interests" value=values.interests error hint="Separate with commas, e.g. running, tea"/>
                <Field label="Last purchase" name="form[last_purchase_on]" key="last_purchase_on" kind=FieldKind::Date value=values.last_purchase_on error/>
                <Field label="Total spend" name="form[total_spent]" key="total_spent" value=values.total_spent error hint="e.g. 129.90"/>
                <Field label="Custom attributes" name="form[custom]" key="custom" kind=FieldKind::TextArea value=values.custom error hint="One per line, as name: value"/>
            </div>
        </fieldset>
        <fieldset>
            <legend>"Acquisition"</legend>
            <div class="grid-2">
                <div class="field">
                    <label for="field-channel">"Channel"</label>
                    <select id="field-channel" name="form[channel]">
                        {Channel::ALL.into_iter().map(|c| {
                            let is = selected == c.as_str();
                            view! { <option value=c.as_str() selected=is>{c.label()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <Field label="Source detail" name="form[source_detail]" key="source_detail" value=values.source_detail error hint="Which form, shop, event or campaign"/>
            </div>
        </fieldset>
    }
}
