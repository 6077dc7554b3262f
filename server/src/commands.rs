//! What each subcommand does.

use crate::config::{
    Cli, Command, ExportCommand, IncentiveCommand, KeyCommand, NewsletterCommand, PartnerCommand, SeedArgs, ServeArgs,
    UserCommand,
};
use crate::{store, AppConfig, Application};
use app::model::api_key::Scope;
use app::model::Role;
use app::state::{AppState, Settings};
use std::io::Read;
use std::sync::Arc;

pub type Result<T> = std::result::Result<T, String>;

pub async fn run(cli: Cli) -> Result<()> {
    let url = cli.global.database_url.clone();
    if let Some(Command::Backup { to }) = &cli.command {
        return crate::operations::backup(&url, to).await;
    }
    ensure_sqlite_dir(&url)?;
    let store = store::open(&url).await.map_err(|e| format!("cannot open the database: {e}"))?;
    let mailer = cli.global.mailer()?;
    match cli.command.unwrap_or(Command::Serve(default_serve())) {
        Command::Serve(args) => serve(args, store, mailer).await,
        Command::Migrate => {
            println!("database is migrated ({})", crate::config::redact(&url));
            Ok(())
        }
        Command::User { command: UserCommand::Add { email, role, .. } } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).map_err(|e| e.to_string())?;
            let password = password.trim_end_matches(['\n', '\r']);
            let role = Role::parse(&role).ok_or("unknown role")?;
            let state = AppState::new(store, Settings::default());
            let id = app::auth::service::create_user(&state, &email, role, password, false).await.map_err(explain)?;
            println!("{id}");
            Ok(())
        }
        Command::Partner { command: PartnerCommand::Add { name, price_cents, own, daily_quota, contact } } => {
            let state = AppState::new(store, Settings::default());
            let now = app::platform::clock::now();
            let id = match price_cents {
                None => app::partners::service::create_integration(&state, "cli", &name, now).await,
                Some(price) => {
                    app::partners::service::create_partner(&state, "cli", &name, &contact, price, daily_quota, now)
                        .await
                }
            }
            .map_err(explain)?;
            match own {
                true => println!("integration {name:?} added with id"),
                false => println!("partner {name:?} added with id"),
            }
            println!("{id}");
            Ok(())
        }
        Command::Key { command: KeyCommand::Create { partner, scopes, event_kinds, expires_days } } => {
            let scopes = app::model::api_key::Scope::parse_list(&scopes)?;
            let event_kinds = match (scopes.contains(&Scope::Events), event_kinds) {
                (true, Some(kinds)) => app::model::events::EventKind::parse_list(&kinds)?,
                (true, None) => {
                    return Err("a key with the events scope needs --event-kinds: all, engagement, deliverability, \
                                or kinds by name (open,click,purchase)"
                        .into())
                }
                (false, Some(_)) => return Err("--event-kinds is for keys with the events scope".into()),
                (false, None) => Vec::new(),
            };
            let grant = app::partners::service::KeyGrant { scopes, event_kinds };
            let now = app::platform::clock::now();
            let state = AppState::new(store, Settings::default());
            let key = app::partners::service::issue_key(
                &state,
                "cli",
                app::model::PartnerId(partner),
                &grant,
                expires_days.map(|d| now + d * 86_400),
                now,
            )
            .await
            .map_err(explain)?;
            eprintln!("This key is shown once; Carnet keeps only its SHA-256.");
            println!("{}", key.as_str());
            Ok(())
        }
        Command::Seed(args) => seed(args, store).await,
        Command::Demo(args) => crate::demo::run(args, store).await,
        Command::Dashboard => {
            let started = std::time::Instant::now();
            let state = AppState::new(store, Settings::default());
            let d = app::engagement::service::refresh(&state, app::platform::clock::now())
                .await
                .map_err(|e| e.to_string())?;
            println!("engagement dashboard: {} contacts in {:.2} s", d.total, started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Newsletter { command: NewsletterCommand::Add { name, description, channel, position } } => {
            let form =
                app::model::contact::NewsletterForm { name, description, channel, position: position.to_string() };
            let state = AppState::new(store.clone(), Settings::default());
            match app::newsletters::service::create(&state, &form).await {
                Ok(id) => {
                    println!("{id}");
                    Ok(())
                }
                Err(app::error::AppError::Invalid(errors)) => Err(cli_flags(&errors)),
                Err(e) => Err(e.to_string()),
            }
        }
        Command::Import { command } => crate::import_commands::run(store, command).await,
        Command::Export { command: ExportCommand::Contacts { filter, format, columns, separator } } => {
            crate::export_commands::contacts(store, &filter, &format, &columns, &separator).await
        }
        Command::Incentive {
            command: IncentiveCommand::Add { name, reward, threshold, fields, valid_days, prefix, codes_file },
        } => {
            let codes = match &codes_file {
                None => String::new(),
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    if text.trim().is_empty() {
                        return Err(format!("{}: no codes in it", path.display()));
                    }
                    text
                }
            };
            let form = app::incentives::ProgrammeForm {
                name,
                reward,
                threshold: threshold.to_string(),
                fields: fields.split(',').map(str::to_string).collect(),
                valid_days: valid_days.map(|d| d.to_string()).unwrap_or_default(),
                prefix,
                codes,
            };
            let state = AppState::new(store.clone(), Settings::default());
            let now = app::platform::clock::now();
            let created = match app::incentives::service::create_programme(&state, &form, now).await {
                Ok(created) => created,
                Err(app::error::AppError::Invalid(mut errors)) => {
                    for e in &mut errors.0 {
                        if e.field == "codes" {
                            e.field = "codes-file".into();
                        }
                    }
                    return Err(cli_flags(&errors));
                }
                Err(e) => return Err(e.to_string()),
            };
            if created.pool_codes > 0 {
                println!("{} codes in the pool", created.pool_codes);
            }
            println!("{}", created.id);
            Ok(())
        }
        Command::ProfileLink { email, send, profile_link_days } => {
            let address = app::model::Email::parse(&email).map_err(|e| format!("{email}: {e}"))?;
            let contact = store
                .contact_id_by_email(&address)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no contact has the address {email}"))?;
            let settings = Settings { public_url: public_url(), profile_link_days, ..Settings::default() };
            let mut state = AppState::new(store.clone(), settings);
            let now = app::platform::clock::now();
            if !send {
                println!(
                    "{}",
                    app::self_service::service::new_link(&state, contact, now).await.map_err(|e| e.to_string())?
                );
                return Ok(());
            }
            let mail = app::self_service::service::send_link(&state, contact, now).await.map_err(explain)?;
            match mailer {
                Some(mailer) => {
                    state = state.with_mailer(mailer);
                    app::mail::service::deliver_due(&state, now).await.map_err(|e| e.to_string())?;
                    let row = store.mail(mail).await.map_err(|e| e.to_string())?.ok_or("the mail vanished")?;
                    match row.state.as_str() {
                        "sent" => println!("sent to {email}"),
                        _ => println!("queued (the server said: {}); it will be retried", row.last_error),
                    }
                }
                None => println!("queued: it goes out once CARNET_SMTP_URL is set and the server runs"),
            }
            Ok(())
        }
        Command::Backup { .. } => unreachable!("answered above"),
        Command::Secrets { command } => crate::operations::secrets(store, command).await,
        Command::Events { apply } => {
            if apply {
                let state = AppState::new(store.clone(), Settings::default());
                let applied = state.event_writer.apply_pending(&store).await.map_err(|e| e.to_string())?;
                println!("{applied} events applied");
            }
            println!("{}", store.pending_events().await.map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}

/// An error as lines a person at a terminal can act on.
pub(crate) fn explain(error: app::error::AppError) -> String {
    match error {
        app::error::AppError::Invalid(errors) => {
            errors.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("\n")
        }
        app::error::AppError::NotFound => "no such record".into(),
        other => other.to_string(),
    }
}

fn default_serve() -> ServeArgs {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Only {
        #[command(flatten)]
        serve: ServeArgs,
    }
    Only::parse_from(["carnet"]).serve
}

fn ensure_sqlite_dir(url: &str) -> Result<()> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or_default();
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    Ok(())
}

/// The public origin for links made outside `serve` (CARNET_PUBLIC_URL, or the default
/// listen address).
pub(crate) fn public_url() -> String {
    std::env::var("CARNET_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into())
}

async fn serve(
    args: ServeArgs,
    store: Arc<dyn app::store::Store>,
    mailer: Option<Arc<dyn app::mail::service::MailTransport>>,
) -> Result<()> {
    if mailer.is_none() {
        tracing::warn!("no CARNET_SMTP_URL: mail waits in the outbox until an SMTP server is configured");
    }
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));
    let config = AppConfig {
        settings: Settings {
            public_url: public_url.clone(),
            partner_rate: app::state::PartnerRate { per_second: args.partner_rate, burst: 2.0 * args.partner_rate },
            profile_link_days: args.profile_link_days,
            signup: app::state::SignupDefence {
                min_secs: args.signup_min_seconds,
                pow_bits: args.signup_pow_bits,
                per_ip_hour: args.signup_per_ip_hour,
                per_ip_hour_without_pow: (args.signup_per_ip_hour / 3).max(1),
                ..Default::default()
            },
            ..Settings::default()
        },
        site_root: args.site_root.clone().unwrap_or_else(crate::default_site_root),
        trust_proxy: args.trust_proxy,
        mailer,
    };
    if !config.site_root.join("pkg").exists() {
        tracing::warn!(site_root = %config.site_root.display(), "no built site here: pages will render without styles or scripts (run `make build`)");
    }
    let app = Application::build(config, store, &args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    tracing::info!(address = %app.local_addr(), public_url, "Carnet is serving");
    println!("Carnet is serving on http://{}", app.local_addr());
    app.run().await.map_err(|e| e.to_string())
}

pub(crate) async fn seed(args: SeedArgs, store: Arc<dyn app::store::Store>) -> Result<()> {
    let report = crate::seed::seed(store.as_ref(), args.contacts, args.seed, args.events_per_contact, |n| {
        if n % 100_000 == 0 {
            eprintln!("  {n} contacts…");
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    println!(
        "seeded {} contacts and {} events in {:.1} s ({:.0} contacts/s)",
        report.inserted,
        report.events,
        report.seconds,
        report.inserted as f64 / report.seconds.max(1e-9)
    );
    // The dashboard is computed now rather than at the first page view.
    let started = std::time::Instant::now();
    let state = AppState::new(store, Settings::default());
    app::engagement::service::refresh(&state, app::platform::clock::now()).await.map_err(|e| e.to_string())?;
    println!("engagement dashboard computed in {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A form's field errors as the command line's flags say them (`--valid-days: …`).
fn cli_flags(errors: &app::model::FieldErrors) -> String {
    let flags: Vec<String> =
        errors.0.iter().map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message)).collect();
    flags.join("\n")
}
