//! `carnet demo`: migrate, seed once, and make every capability visible on a fresh demo
//! (an admin, an incentive, a partner and the shop's integration with their keys, a file
//! waiting on the import page), then print how to get in.

use crate::commands::{explain, public_url, seed, Result};
use crate::config::{DemoArgs, SeedArgs};
use app::model::api_key::Scope;
use app::model::Role;
use app::state::{AppState, Settings};
use std::sync::Arc;

pub async fn run(args: DemoArgs, store: Arc<dyn app::store::Store>) -> Result<()> {
    if store.count_contacts().await.map_err(|e| e.to_string())? == 0 {
        println!("Seeding {} demo contacts…", args.contacts);
        seed(SeedArgs { contacts: args.contacts, seed: 42, events_per_contact: 4.0 }, store.clone()).await?;
    }
    let email = "admin@carnet.example";
    let state = AppState::new(store.clone(), Settings::default());
    let parsed = app::model::Email::parse(email).map_err(str::to_string)?;
    let saved = std::fs::read_to_string(&args.credentials_file).ok().map(|s| s.trim().to_string());
    let exists = store.user_by_email(&parsed).await.map_err(|e| e.to_string())?;
    let password = match (exists, saved) {
        (Some(_), Some(p)) => p,
        (Some(user), None) => {
            let p = random_password();
            let hash = app::auth::service::hash_password(p.clone()).await.map_err(|e| e.to_string())?;
            store
                .set_user_password(user.id, &hash, false, app::platform::clock::now())
                .await
                .map_err(|e| e.to_string())?;
            p
        }
        (None, _) => {
            let p = random_password();
            app::auth::service::create_user(&state, email, Role::Admin, &p, false).await.map_err(|e| e.to_string())?;
            p
        }
    };
    if let Some(dir) = args.credentials_file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&args.credentials_file, format!("{password}\n")).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&args.credentials_file, std::fs::Permissions::from_mode(0o600));
    }
    if store.incentives().await.map_err(|e| e.to_string())?.is_empty() {
        // A thank-you for a complete profile, so the self-service page has something to give.
        let thanks = app::incentives::ProgrammeForm {
            name: "Complete profile (demo)".into(),
            reward: "10% off your next order".into(),
            threshold: "100".into(),
            prefix: "THANKS-".into(),
            ..Default::default()
        };
        app::incentives::service::create_programme(&state, &thanks, app::platform::clock::now())
            .await
            .map_err(|e| e.to_string())?;
    }
    if store.partners().await.map_err(|e| e.to_string())?.is_empty() {
        // A partner with a key, so the partners page and the API have something to show.
        let now = app::platform::clock::now();
        let partner = app::partners::service::create_partner(
            &state,
            "demo",
            "LeadCo (demo)",
            "ops@leadco.example",
            150,
            100_000,
            now,
        )
        .await
        .map_err(explain)?;
        let key = app::partners::service::issue_key(
            &state,
            "demo",
            partner,
            &app::partners::service::KeyGrant::every_partner_scope(),
            None,
            now,
        )
        .await
        .map_err(explain)?;
        println!("  Demo partner API key (shown once): {}", key.as_str());
        // And the brand's own shop, with the keys an integration holds.
        let shop = app::partners::service::create_integration(&state, "demo", "Online shop (demo)", now)
            .await
            .map_err(explain)?;
        let grant = app::partners::service::KeyGrant::scopes(&[Scope::Profile, Scope::Contacts, Scope::Redeem]);
        let key = app::partners::service::issue_key(&state, "demo", shop, &grant, None, now).await.map_err(explain)?;
        println!("  Demo shop integration key (profile, contacts, redeem; shown once): {}", key.as_str());
    }
    demo_import(&store).await?;
    // A customer's side too: a fresh personal link each run (links work once).
    if let Some(customer) =
        store.contact(app::model::ContactId(1)).await.map_err(|e| e.to_string())?.filter(|c| c.suppressed_at.is_none())
    {
        let links = AppState::new(store.clone(), Settings { public_url: public_url(), ..Settings::default() });
        let link = app::self_service::service::new_link(&links, customer.id, app::platform::clock::now())
            .await
            .map_err(|e| e.to_string())?;
        println!("  A demo customer's personal link (opens their /me page once): {link}");
    }
    println!(
        "  The public sign-up form: {}/subscribe?source=event&detail=Demo%20day \
         (confirmation mails go out once CARNET_SMTP_URL is set; until then they wait at /mail)",
        public_url().trim_end_matches('/')
    );
    println!("\n  Demo admin login:  {email}  /  {password}\n");
    Ok(())
}

fn random_password() -> String {
    use rand::distributions::Alphanumeric;
    use rand::Rng;
    rand::thread_rng().sample_iter(&Alphanumeric).take(16).map(char::from).collect()
}

/// A small file as French Excel saves it (Windows-1252, semicolons), uploaded and
/// waiting for its settings on `/contacts/import`, once.
async fn demo_import(store: &Arc<dyn app::store::Store>) -> Result<()> {
    if !store.recent_imports(1).await.map_err(|e| e.to_string())?.is_empty() {
        return Ok(());
    }
    let text = "Courriel;Prénom;Nom;Code postal;Ville;Date d'inscription;Fidélité\r\n\
                amelie.lefevre@exemple.fr;Amélie;Lefèvre;75011;Paris;12/03/2024;or\r\n\
                joel.durand@exemple.fr;Joël;Durand;69001;Lyon;02/06/2024;argent\r\n\
                pas-une-adresse;Bob;Martin;;;;\r\n\
                AMELIE.LEFEVRE@exemple.fr;Amélie;Lefèvre;;;;\r\n";
    let bytes: Vec<u8> = text.chars().map(|c| u32::from(c).try_into().unwrap_or(b'?')).collect();
    let upload = |e: app::store::StoreError| e.to_string();
    let mut file = app::imports::service::Upload::begin(store, "contacts", "salon-2026 (demo).csv", "demo", 1 << 20)
        .await
        .map_err(upload)?;
    file.write(&bytes).await.map_err(upload)?;
    if let Ok(import) = file.finish().await.map_err(upload)? {
        println!(
            "  A demo file waits on the import page: {}/contacts/import/{}",
            public_url().trim_end_matches('/'),
            import.id
        );
    }
    Ok(())
}
