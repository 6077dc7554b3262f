//! The person's own page, `/me`: their fields with the completion meter, what they
//! receive, and "delete me".

use super::*;

#[component]
pub fn MePage() -> impl IntoView {
    let query = use_query_map();
    let lang_param = move || query.read().get("lang");
    let saved_param = query.read_untracked().get("saved").is_some();
    let erased_param = query.read_untracked().get("erased").is_some();
    let save = ServerAction::<SaveMe>::new();
    let pref = ServerAction::<SetMySubscription>::new();
    let erase = ServerAction::<EraseMe>::new();
    let pause = ServerAction::<PauseNewsletter>::new();
    let channel = ServerAction::<SetChannel>::new();
    // Any change reloads the page's data (JavaScript on; without it the forms post and
    // the server sends the page again).
    let me = Resource::new(
        move || {
            let changes = [save.version(), pref.version(), erase.version(), pause.version(), channel.version()];
            (lang_param(), changes.map(|v| v.get()))
        },
        |(lang, _)| get_me(lang),
    );
    view! {
        <main class="public-page" id="main">
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let erased = erased_param || erase.value().get().is_some_and(|r| r.is_ok());
                    match me.await {
                        Err(AppError::Unauthenticated) if erased => view! {
                            <Title text="Your data was erased"/>
                            <h1>"Your data was erased · Vos données ont été effacées"</h1>
                            <p>"We keep only a fingerprint of your email address and phone number, so that we never add you again without your say."</p>
                            <p lang="fr">"Nous ne gardons qu'une empreinte de votre adresse et de votre numéro, pour ne jamais vous réinscrire sans votre accord."</p>
                        }.into_any(),
                        Err(AppError::Unauthenticated) => view! {
                            <Title text="Your profile"/>
                            <h1>"Your profile · Votre profil"</h1>
                            <p>"This page opens with the personal link we mail you. Your link may have expired: open the most recent one, or ask us for a new one."</p>
                            <p lang="fr">"Cette page s'ouvre avec le lien personnel que nous vous envoyons. S'il a expiré, ouvrez le plus récent ou demandez-en un nouveau."</p>
                        }.into_any(),
                        Err(e) => crate::ui::error_alert(&e).into_any(),
                        Ok(me) => view! { <MeView me save pref erase pause channel saved=saved_param/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn MeView(
    me: Me,
    save: ServerAction<SaveMe>,
    pref: ServerAction<SetMySubscription>,
    erase: ServerAction<EraseMe>,
    pause: ServerAction<PauseNewsletter>,
    channel: ServerAction<SetChannel>,
    saved: bool,
) -> impl IntoView {
    let erase_error = move || erase.value().get().and_then(|r| r.err()).and_then(|e| e.field("confirm"));
    // What a preference form refused (a newsletter not received, a bad choice).
    let choice_error = move || {
        [
            pref.value().get().and_then(|r| r.err()),
            pause.value().get().and_then(|r| r.err()),
            channel.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let lang = me.lang;
    let fields = me.fields.clone();
    let paused = me.paused.clone();
    // The form as typed: the meter follows it with JavaScript on; without it, the
    // server's figure at load is what shows.
    let typed = RwSignal::new(me.form.clone());
    let meter = Memo::new({
        let fields = fields.clone();
        move |_| completion(&typed.get(), &fields)
    });
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let field_error = move |key: &'static str| move || error.get().and_then(|e| e.field(key));
    let just_saved = move || saved || save.value().get().is_some_and(|r| r.is_ok());
    let other = match lang {
        Lang::En => ("fr", "Français"),
        Lang::Fr => ("en", "English"),
    };
    view! {
        <Title text=lang.t("Your profile", "Votre profil")/>
        <p class="lang-switch"><a href=format!("/me?lang={}", other.0) hreflang=other.0>{other.1}</a></p>
        <h1>{lang.t("Your profile", "Votre profil")}</h1>
        <p>{me.email.clone()}</p>
        <section aria-labelledby="meter-h">
            <h2 id="meter-h">{lang.t("Your profile is complete at", "Votre profil est complet à")}" "<span class="meter-value">{move || format!("{} %", meter.get())}</span></h2>
            <meter min="0" max="100" value=move || meter.get().to_string() aria-labelledby="meter-h">{move || format!("{} %", meter.get())}</meter>
        </section>
        {move || just_saved().then(|| view! { <p class="alert alert-success" role="status">{lang.t("Saved. Thank you!", "Enregistré. Merci !")}</p> })}
        {move || error.get().map(|e| view! { <p class="alert alert-error" role="alert">{match e {
            AppError::Invalid(_) => lang.t("Please correct the fields marked below.", "Merci de corriger les champs signalés ci-dessous.").to_string(),
            other => other.to_string(),
        }}</p> })}
        {(!me.rewards.is_empty()).then(|| view! {
            <section class="rewards" aria-labelledby="rewards-h">
                <h2 id="rewards-h">{lang.t("Thank you! Your rewards", "Merci ! Vos récompenses")}</h2>
                <ul>
                    {me.rewards.iter().map(|r| view! {
                        <li>
                            <strong>{r.reward.clone()}</strong>" — "{lang.t("your code:", "votre code :")}" "
                            <code class="reward-code">{r.code.clone()}</code>
                            {r.redeemed_at.is_some().then(|| view! { " "<span class="muted">{lang.t("(used)", "(utilisé)")}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <ActionForm action=save>
            <input type="hidden" name="lang" value=lang.code()/>
            {fields.iter().map(|f| {
                let f = *f;
                let id = format!("profile-{}", f.key());
                view! {
                    <div class="field">
                        <label for=id.clone()>{f.label(lang)}</label>
                        <input id=id type=f.input_type() name=format!("profile[{}]", f.key())
                            value=f.get(&me.form).to_string()
                            on:input=move |ev| { let v = event_target_value(&ev); typed.update(|form| f.set(form, v)); }/>
                        {move || field_error(f.key())().map(|m| view! { <p class="field-error">{m}</p> })}
                    </div>
                }
            }).collect_view()}
            <button type="submit">{lang.t("Save", "Enregistrer")}</button>
        </ActionForm>
        <section aria-labelledby="prefs-h">
            <h2 id="prefs-h">{lang.t("What we send you", "Ce que nous vous envoyons")}</h2>
            {move || choice_error().map(|e| view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> })}
            {if me.subscriptions.is_empty() {
                view! { <p>{lang.t("We have no newsletters yet.", "Nous n'avons pas encore de lettres d'information.")}</p> }.into_any()
            } else {
                view! {
                    <ul class="prefs">
                        {me.subscriptions.into_iter().map(|(id, name, on)| {
                            let resume_words = pause_words(lang, &name, 0);
                            let pause_view = on.then(|| match paused.iter().find(|(n, _)| *n == id).map(|(_, u)| *u) {
                                Some(until) => view! {
                                    <ActionForm action=pause>
                                        <span>{lang.t("Paused until", "En pause jusqu'au")}" "{crate::ui::format_instant(until).split(' ').next().unwrap_or_default().to_string()}" "</span>
                                        <input type="hidden" name="newsletter_id" value=id.to_string()/>
                                        <input type="hidden" name="months" value="0"/>
                                        <input type="hidden" name="lang" value=lang.code()/>
                                        <button type="submit" class="button-quiet">{resume_words}</button>
                                    </ActionForm>
                                }.into_any(),
                                None => view! {
                                    <ActionForm action=pause>
                                        <input type="hidden" name="newsletter_id" value=id.to_string()/>
                                        <input type="hidden" name="lang" value=lang.code()/>
                                        <label>{lang.t("Pause for", "Mettre en pause")}" "
                                            <select name="months">
                                                <option value="1">{lang.t("1 month", "1 mois")}</option>
                                                <option value="3" selected>{lang.t("3 months", "3 mois")}</option>
                                                <option value="6">{lang.t("6 months", "6 mois")}</option>
                                            </select>
                                        </label>" "
                                        <button type="submit" class="button-quiet">{lang.t("Pause", "Mettre en pause")}</button>
                                    </ActionForm>
                                }.into_any(),
                            });
                            view! {
                            <li>
                                <span>{name.clone()}" — "{if on { lang.t("you receive it", "vous la recevez") } else { lang.t("you do not receive it", "vous ne la recevez pas") }}</span>
                                <ActionForm action=pref>
                                    <input type="hidden" name="newsletter_id" value=id.to_string()/>
                                    <input type="hidden" name="subscribe" value=(!on).to_string()/>
                                    <input type="hidden" name="lang" value=lang.code()/>
                                    <button type="submit" class="button-quiet">{preference_words(lang, &name, !on)}</button>
                                </ActionForm>
                                {pause_view}
                            </li>
                        }}).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="channel-h">
            <h2 id="channel-h">{lang.t("How we reach you", "Comment vous joindre")}</h2>
            <ActionForm action=channel>
                <input type="hidden" name="lang" value=lang.code()/>
                <label class="choice"><input type="radio" name="channel" value="email" checked=me.channel == "email"/>" "{lang.t("By email", "Par email")}</label>
                <label class="choice"><input type="radio" name="channel" value="sms" checked=me.channel == "sms"/>" "{lang.t("By SMS", "Par SMS")}</label>
                <button type="submit" class="button-quiet">{lang.t("Save my choice", "Enregistrer mon choix")}</button>
            </ActionForm>
        </section>
        <section aria-labelledby="data-h">
            <h2 id="data-h">{lang.t("Your data", "Vos données")}</h2>
            <p><a href="/me/data.json" download="my-data.json">{lang.t("Download my data (JSON)", "Télécharger mes données (JSON)")}</a></p>
            <ActionForm action=erase>
                <input type="hidden" name="lang" value=lang.code()/>
                <p>
                    <input type="checkbox" id="erase-confirm" name="confirm" value="yes"/>
                    " "<label for="erase-confirm">{lang.t(
                        "I understand that my data will be erased for good, and that I will receive nothing more from you.",
                        "Je comprends que mes données seront effacées pour de bon et que je ne recevrai plus rien de votre part.",
                    )}</label>
                </p>
                {move || erase_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                <button type="submit" class="button-danger">{lang.t("Delete me", "Supprimer mes données")}</button>
            </ActionForm>
        </section>
    }
}
