//! Command line and environment. Every setting has a flag and an environment variable;
//! secrets (the database URL may hold a password) never print in `Debug`.

use clap::{Args, Parser, Subcommand};
use std::fmt;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "carnet", version, about = "Carnet — keep a brand's marketing contact base clean, fresh and engaged.")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Clone)]
pub struct Global {
    /// Database: sqlite://path/to/file.db or postgres://user:pass@host/db
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/carnet.db", global = true)]
    pub database_url: String,
    /// Log filter, e.g. info, carnet=debug,sqlx=warn
    #[arg(long = "log", env = "CARNET_LOG", default_value = "info,sqlx=warn", global = true)]
    pub log: String,
    /// The SMTP server Carnet sends its mail through: smtp://host:port (plain),
    /// smtp://host:587?tls=required (STARTTLS), smtps://host:465 (TLS), with
    /// user:password@ for authentication. Unset: mail waits in the outbox.
    #[arg(long, env = "CARNET_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// The sender of Carnet's mail, e.g. "Brand <news@brand.example>".
    #[arg(long, env = "CARNET_MAIL_FROM", default_value = "Carnet <carnet@localhost>", global = true)]
    pub mail_from: String,
}

impl Global {
    /// The SMTP transport, when a server is configured.
    pub fn mailer(&self) -> Result<Option<std::sync::Arc<dyn app::mail::service::MailTransport>>, String> {
        match &self.smtp_url {
            None => Ok(None),
            Some(url) => Ok(Some(std::sync::Arc::new(crate::smtp::Smtp::new(url, &self.mail_from)?))),
        }
    }
}

impl fmt::Debug for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Global")
            .field("database_url", &redact(&self.database_url))
            .field("log", &self.log)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact))
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

/// The URL with any password replaced, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage partners (lead sellers).
    Partner {
        #[command(subcommand)]
        command: PartnerCommand,
    },
    /// Manage partner API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Insert generated contacts (demo data, benchmarks).
    Seed(SeedArgs),
    /// Prepare the demo: migrate, seed once, make sure an admin exists and print its login.
    Demo(DemoArgs),
    /// Recompute the engagement dashboard now (it is otherwise refreshed every 15
    /// minutes and after every bulk action or import) and print how long it took.
    Dashboard,
    /// A consistent copy of a SQLite database, taken while it serves: FILE and, beside
    /// it, FILE.inbox (the events not yet applied). Serve it with
    /// DATABASE_URL=sqlite://FILE. (PostgreSQL: pg_dump, see the README.)
    Backup {
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// How many accepted events wait to be applied (a running server applies them
    /// every second); with --apply, apply them now.
    Events {
        #[arg(long)]
        apply: bool,
    },
    /// The keys that sign links and tickets (tracking, unsubscribe, sign-up tickets).
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Newsletters (what people subscribe to).
    Newsletter {
        #[command(subcommand)]
        command: NewsletterCommand,
    },
    /// Import the contacts a brand has, or its old suppression list, from a CSV file.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export a list of contacts to standard output.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Incentive programmes (rewards for completing a profile).
    Incentive {
        #[command(subcommand)]
        command: IncentiveCommand,
    },
    /// Print a fresh personal link for a contact (their profile page); with --send, mail
    /// it to them instead (through the outbox and CARNET_SMTP_URL).
    ProfileLink {
        email: String,
        #[arg(long)]
        send: bool,
        /// How many days the link works (the server's setting of the same name).
        #[arg(long, env = "CARNET_PROFILE_LINK_DAYS", default_value_t = 14, value_parser = clap::value_parser!(i64).range(1..=365))]
        profile_link_days: i64,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CARNET_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,
    /// The public origin (scheme://host[:port]); https turns on Secure cookies.
    #[arg(long, env = "CARNET_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Where the built site (pkg/ with the wasm, JS and CSS) lives. Default: `site`
    /// beside the binary's directory (target/site for target/release/carnet).
    #[arg(long, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Partner API requests per second allowed to each key (bursts of twice as many).
    #[arg(long, env = "CARNET_PARTNER_RATE", default_value_t = 100.0)]
    pub partner_rate: f64,
    /// How many days a personal profile link works.
    #[arg(long, env = "CARNET_PROFILE_LINK_DAYS", default_value_t = 14, value_parser = clap::value_parser!(i64).range(1..=365))]
    pub profile_link_days: i64,
    /// Public sign-up forms sent back sooner than this after they were shown are a bot's.
    #[arg(long, env = "CARNET_SIGNUP_MIN_SECONDS", default_value_t = 3, value_parser = clap::value_parser!(i64).range(0..=60))]
    pub signup_min_seconds: i64,
    /// The sign-up form's proof of work, in zero bits (each one doubles the work; 0 turns it off).
    #[arg(long, env = "CARNET_SIGNUP_POW_BITS", default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=24))]
    pub signup_pow_bits: u32,
    /// Sign-ups allowed per network address and hour (a third of it without JavaScript).
    #[arg(long, env = "CARNET_SIGNUP_PER_IP_HOUR", default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=100000))]
    pub signup_per_ip_hour: i64,
    /// Take the client address from X-Forwarded-For (only behind a trusted proxy).
    #[arg(long, env = "CARNET_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// A new key signs from now on (every instance within a minute); links signed
    /// before still work.
    Rotate {
        /// tracking, unsubscribe, signup_ticket, or all.
        #[arg(long, default_value = "all")]
        purpose: String,
    },
    /// Only the newest key is kept: links signed with older ones stop working (after a
    /// leak; rotate first).
    Retire {
        /// tracking, unsubscribe, signup_ticket, or all.
        #[arg(long)]
        purpose: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum NewsletterCommand {
    /// Add a newsletter; prints its id on the last line.
    Add {
        #[arg(long)]
        name: String,
        /// What people get, shown beside the box they tick.
        #[arg(long, default_value = "")]
        description: String,
        /// email or sms (fixed once created).
        #[arg(long, default_value = "email")]
        channel: String,
        /// Its place on forms, 0 to 999, lowest first.
        #[arg(long, default_value_t = 0)]
        position: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// The contacts of a list (the /contacts filters), with the chosen columns.
    Contacts {
        /// The list, as in the address of /contacts: 'status=disengaged&channel=web'.
        #[arg(long, default_value = "")]
        filter: String,
        /// csv or jsonl.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Columns, comma-separated (default: the usual ones); `carnet export contacts
        /// --columns help` lists them.
        #[arg(long, default_value = "")]
        columns: String,
        /// CSV separator: comma, semicolon or tab.
        #[arg(long, default_value = "comma")]
        separator: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import contacts; prints one `name: N` line per count and writes the refused rows
    /// to FILE.refused.csv.
    Contacts {
        file: std::path::PathBuf,
        /// The channel of rows without one: web, point_of_sale, call_centre, order_form,
        /// event, partner, import.
        #[arg(long, default_value = "import")]
        channel: String,
        /// The source detail of rows without one (e.g. "old CRM, 2019-2026").
        #[arg(long, default_value = "")]
        source: String,
        /// What to do with addresses already known: skip, fill (empty fields only) or overwrite.
        #[arg(long, default_value = "skip")]
        on_existing: String,
        /// Subscribe every row to this newsletter (by name), with --consent-text.
        #[arg(long)]
        newsletter: Option<String>,
        /// The words people agreed to (the evidence of their consent).
        #[arg(long)]
        consent_text: Option<String>,
        /// When they agreed (YYYY-MM-DD or DD/MM/YYYY); without it, from the column mapped to consent_date.
        #[arg(long)]
        consent_date: Option<String>,
        /// Where they agreed (e.g. "old website form").
        #[arg(long, default_value = "")]
        consent_place: String,
        /// Column overrides: 'Header=field,…' (fields: email, first_name, …, custom:NAME, ignore).
        #[arg(long, default_value = "")]
        map: String,
        /// utf-8 or windows-1252 (default: found from the file).
        #[arg(long)]
        encoding: Option<String>,
        /// Counts only: nothing is written.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import a suppression list: addresses, MD5 or SHA-256 hashes (only hashes are kept).
    Suppression {
        file: std::path::PathBuf,
        /// Why these addresses are suppressed.
        #[arg(long, default_value = "imported suppression list")]
        reason: String,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum IncentiveCommand {
    /// Add a programme; prints its id on the last line.
    Add {
        #[arg(long)]
        name: String,
        /// What the person gets, e.g. "10% off your next order".
        #[arg(long)]
        reward: String,
        /// The profile completion (percent) that earns it.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(0..=100))]
        threshold: i64,
        /// Profile fields that must also be filled, comma-separated (e.g. phone,birth_date).
        #[arg(long, default_value = "")]
        fields: String,
        /// Days it stays open (default: no end).
        #[arg(long)]
        valid_days: Option<i64>,
        /// Put before every generated code, e.g. THANKS-.
        #[arg(long, default_value = "")]
        prefix: String,
        /// Take codes from a file (one a line) instead of generating them.
        #[arg(long)]
        codes_file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a staff user. The password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "marketer", "viewer"])]
        role: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PartnerCommand {
    /// Add a partner (or, with --own, one of the brand's own systems); prints its id on
    /// the last line.
    Add {
        #[arg(long)]
        name: String,
        /// What one accepted lead is billed, in cents (a partner needs it).
        #[arg(long, required_unless_present = "own", conflicts_with = "own")]
        price_cents: Option<i64>,
        /// The brand's own shop or site (an integration): never billed, no quota, and
        /// allowed the profile and contacts scopes.
        #[arg(long, default_value_t = false)]
        own: bool,
        /// Checks allowed per UTC day (0: no quota).
        #[arg(long, default_value_t = 0, conflicts_with = "own")]
        daily_quota: i64,
        /// Who to contact at the partner.
        #[arg(long, default_value = "", conflicts_with = "own")]
        contact: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Issue an API key for a partner; prints the key (shown this once only).
    Create {
        #[arg(long)]
        partner: i64,
        /// Comma-separated: check, submit, export, events, redeem.
        #[arg(long)]
        scopes: String,
        /// With the events scope, the event kinds the key may send: all, engagement
        /// (opens, clicks, visits, purchases, replies, forms, profile updates),
        /// deliverability (opens, clicks, bounces, complaints, unsubscribes), or kinds by
        /// name (open,click,purchase).
        #[arg(long)]
        event_kinds: Option<String>,
        /// Days until the key expires (default: never).
        #[arg(long)]
        expires_days: Option<i64>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct SeedArgs {
    /// How many contacts to generate.
    #[arg(long, default_value_t = 3000)]
    pub contacts: u64,
    /// Random seed, for repeatable data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Interactions per contact, on average (opens, clicks, visits, purchases…).
    #[arg(long, default_value_t = 4.0)]
    pub events_per_contact: f64,
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Contacts to generate when the database has none.
    #[arg(long, default_value_t = 3000)]
    pub contacts: u64,
    /// Where the generated admin password is kept for later runs.
    #[arg(long, default_value = "data/demo-admin.txt")]
    pub credentials_file: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(redact("postgres://carnet:s3cret@db:5432/carnet"), "postgres://carnet:***@db:5432/carnet");
        assert_eq!(redact("postgres://carnet@db/carnet"), "postgres://carnet@db/carnet");
        assert_eq!(redact("sqlite://data/carnet.db"), "sqlite://data/carnet.db");
    }
}
