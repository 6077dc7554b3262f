//! Background jobs: long work (bulk actions over a list, event imports, recording used
//! codes) stored with its parameters. Whichever instance holds a job's lease works
//! through it in chunks, writing its progress after each, and another instance takes
//! over where it stopped if that one dies. Each capability names its own kinds
//! (`JobKind`) and registers them in the `Registry` the state holds; the runner knows
//! none of them.

use serde::{Deserialize, Serialize};

/// Background work shown to staff with its progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: crate::model::JobId,
    pub kind: String,
    /// queued, running, done, failed
    pub state: String,
    pub params: String,
    pub total: i64,
    pub done: i64,
    pub next_id: i64,
    pub message: String,
    pub created_by: String,
    pub created_at: crate::model::Timestamp,
    pub updated_at: crate::model::Timestamp,
    /// What the job does, in words (filled from its kind, not stored).
    #[serde(default)]
    pub title: String,
    /// Where its page leads once it ends, (label, path) (from its kind, not stored).
    #[serde(default)]
    pub next: Vec<(String, String)>,
    /// The lease this run holds (set by the runner when it claims the job; never sent).
    #[serde(skip)]
    pub lease: String,
}

impl Job {
    pub fn percent(&self) -> i64 {
        if self.total <= 0 {
            if self.state == "done" {
                100
            } else {
                0
            }
        } else {
            (self.done * 100 / self.total).clamp(0, 100)
        }
    }
    pub fn finished(&self) -> bool {
        self.state == "done" || self.state == "failed"
    }
}

#[cfg(feature = "ssr")]
pub use runner::*;

#[cfg(feature = "ssr")]
mod runner {
    use super::Job;
    use crate::platform::clock;
    use crate::state::AppState;
    use crate::store::{StoreError, StoreResult};
    use async_trait::async_trait;
    use serde::{de::DeserializeOwned, Deserialize, Serialize};
    use std::future::Future;
    use std::pin::Pin;

    /// How long a job stays with an instance that stops reporting progress.
    pub const LEASE_SECS: i64 = 60;

    /// A kind of background job, owned by the capability that runs it.
    pub trait JobKind: 'static {
        /// Stored with each job: never rename a kind that may have jobs waiting.
        const NAME: &'static str;
        /// What a job of this kind is given when it is started (stored as JSON).
        type Params: Serialize + DeserializeOwned + Send + Sync;
        /// What the progress page says the job does.
        fn title(params: &Self::Params) -> String;
        /// Where the progress page leads once the job ends: (label, path).
        const NEXT: &'static [(&'static str, &'static str)] =
            &[("Back to the dashboard", "/engagement"), ("Contacts", "/contacts")];
        /// Runs the job from where it stopped (`job.done`, `job.next_id`), reporting
        /// its progress with `report`; returns the summary staff read when it ends.
        fn run<'a>(
            state: &'a AppState,
            job: &'a Job,
            params: Self::Params,
            payload: &'a str,
        ) -> impl Future<Output = Result<String, StoreError>> + Send + 'a;
    }

    /// For kinds that need no parameters (stored as `{}`).
    #[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
    pub struct NoParams {}

    type Outcome<'a> = Pin<Box<dyn Future<Output = Result<String, StoreError>> + Send + 'a>>;

    struct Entry {
        name: &'static str,
        title: fn(&str) -> Option<String>,
        next: &'static [(&'static str, &'static str)],
        run: for<'a> fn(&'a AppState, &'a Job, &'a str) -> Outcome<'a>,
    }

    fn params<K: JobKind>(job: &Job) -> Result<K::Params, StoreError> {
        serde_json::from_str(&job.params).map_err(|e| StoreError::Database(format!("job {}: {e}", job.id)))
    }

    fn run_boxed<'a, K: JobKind>(state: &'a AppState, job: &'a Job, payload: &'a str) -> Outcome<'a> {
        Box::pin(async move { K::run(state, job, params::<K>(job)?, payload).await })
    }

    fn title_of<K: JobKind>(params: &str) -> Option<String> {
        serde_json::from_str::<K::Params>(params).ok().map(|p| K::title(&p))
    }

    /// The job kinds this instance runs, each registered by its capability.
    #[derive(Default)]
    pub struct Registry {
        kinds: Vec<Entry>,
    }

    impl Registry {
        pub fn register<K: JobKind>(mut self) -> Registry {
            assert!(!self.kinds.iter().any(|k| k.name == K::NAME), "job kind {} registered twice", K::NAME);
            self.kinds.push(Entry { name: K::NAME, title: title_of::<K>, next: K::NEXT, run: run_boxed::<K> });
            self
        }

        fn kind(&self, name: &str) -> Option<&Entry> {
            self.kinds.iter().find(|k| k.name == name)
        }

        /// The job with its title and next steps filled in.
        pub fn describe(&self, mut job: Job) -> Job {
            let kind = self.kind(&job.kind);
            job.title = kind.and_then(|k| (k.title)(&job.params)).unwrap_or_else(|| "Working".to_string());
            job.next = kind.map_or(&[][..], |k| k.next).iter().map(|(l, p)| (l.to_string(), p.to_string())).collect();
            job
        }
    }

    /// A job to store.
    #[derive(Clone, Debug, PartialEq)]
    pub struct NewJob {
        pub kind: String,
        pub params: String,
        pub payload: String,
        pub total: i64,
        pub created_by: String,
        pub now: crate::model::Timestamp,
    }

    /// A job just leased, with its payload (read only by the instance that runs it).
    #[derive(Clone, Debug, PartialEq)]
    pub struct ClaimedJob {
        pub job: Job,
        pub payload: String,
    }

    /// The jobs table.
    #[async_trait]
    pub trait JobStore: Send + Sync {
        async fn create_job(&self, job: &NewJob) -> StoreResult<crate::model::JobId>;
        /// Takes the oldest queued job, or a running one whose lease ran out (its
        /// instance died), and leases it until `lease_until` under `lease` (a new
        /// token each claim), returned in the job.
        async fn claim_job(
            &self,
            now: crate::model::Timestamp,
            lease_until: crate::model::Timestamp,
            lease: &str,
        ) -> StoreResult<Option<ClaimedJob>>;
        /// Writes progress and renews the lease, if `job.lease` still holds it; else
        /// `LeaseLost` (another run took the job over).
        async fn job_progress(
            &self,
            job: &Job,
            done: i64,
            next_id: i64,
            now: crate::model::Timestamp,
            lease_until: crate::model::Timestamp,
        ) -> StoreResult<()>;
        /// Ends the job, if `job.lease` still holds it; else `LeaseLost`.
        async fn finish_job(
            &self,
            job: &Job,
            failed: bool,
            message: &str,
            now: crate::model::Timestamp,
        ) -> StoreResult<()>;
        async fn job(&self, id: crate::model::JobId) -> StoreResult<Option<Job>>;
        async fn recent_jobs(&self, limit: i64) -> StoreResult<Vec<Job>>;
    }

    /// What starting a job needs besides its kind and parameters.
    pub struct Start<'a> {
        /// Large input kept with the job (an uploaded file), read by its runs.
        pub payload: String,
        /// How much work there is, for the progress bar.
        pub total: i64,
        pub actor: &'a str,
        pub now: crate::model::Timestamp,
    }

    /// Stores a job of kind `K` for the runner; returns its id.
    pub async fn start<K: JobKind>(
        state: &AppState,
        params: &K::Params,
        start: Start<'_>,
    ) -> Result<crate::model::JobId, StoreError> {
        let params = serde_json::to_string(params).map_err(|e| StoreError::Database(e.to_string()))?;
        let job = NewJob {
            kind: K::NAME.into(),
            params,
            payload: start.payload,
            total: start.total,
            created_by: start.actor.into(),
            now: start.now,
        };
        state.store.create_job(&job).await
    }

    /// Writes a running job's progress and renews its lease; `LeaseLost` when another
    /// run took the job over meanwhile (this one then stops).
    pub async fn report(state: &AppState, job: &Job, done: i64, next_id: i64) -> Result<(), StoreError> {
        let now = clock::now();
        state.store.job_progress(job, done, next_id, now, now + LEASE_SECS).await
    }

    /// Runs the next job waiting, if any, to its end. Returns whether there was one.
    pub async fn run_next(state: &AppState) -> Result<bool, StoreError> {
        use rand::Rng;
        let now = clock::now();
        let lease = hex::encode(rand::thread_rng().gen::<[u8; 16]>());
        let Some(ClaimedJob { job, payload }) = state.store.claim_job(now, now + LEASE_SECS, &lease).await? else {
            return Ok(false);
        };
        let outcome = match state.jobs.kind(&job.kind) {
            Some(kind) => (kind.run)(state, &job, &payload).await,
            None => Err(StoreError::Database(format!("unknown job kind {}", job.kind))),
        };
        let now = clock::now();
        let ended = match outcome {
            Ok(message) => state.store.finish_job(&job, false, &message, now).await,
            Err(StoreError::LeaseLost) => Err(StoreError::LeaseLost),
            Err(e) => {
                tracing::error!(job = %job.id, error = %e, "job failed");
                let message = "Stopped by an error on our side; the work done so far is kept.";
                state.store.finish_job(&job, true, message, now).await
            }
        };
        match ended {
            // This instance stalled past its lease and another took the job over: it
            // is theirs to go on with and to end.
            Err(StoreError::LeaseLost) => {
                tracing::warn!(job = %job.id, "a job's lease was lost; another run goes on with it")
            }
            other => other?,
        }
        Ok(true)
    }
}
