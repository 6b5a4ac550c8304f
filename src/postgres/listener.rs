//! The change listener: one connection of its own, `LISTEN para_auth`, and a
//! stale mark for every entry another server (or this one) changed.
//!
//! When the connection drops, notifications may have been missed: every
//! cached record is marked stale, and the listener connects again after a
//! delay. The caches' time-to-live bounds staleness meanwhile.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{CHANNEL, PgError, Shared};

/// How long [`start`] waits for the first `LISTEN` to succeed.
const FIRST_LISTEN: Duration = Duration::from_secs(10);

#[expect(clippy::large_enum_variant, reason = "one at a time, on one task's stack")]
enum Event {
    Listening(Result<(), tokio_postgres::Error>),
    Message(Option<Result<AsyncMessage, tokio_postgres::Error>>),
}

/// Start listening on `handle`'s runtime; returns once the first `LISTEN`
/// succeeded, with the task's abort handle.
pub(super) async fn start(
    handle: &tokio::runtime::Handle,
    config: tokio_postgres::Config,
    shared: &Arc<Shared>,
    reconnect_delay: Duration,
) -> Result<AbortHandle, PgError> {
    let (ready, listening) = oneshot::channel();
    let task = handle.spawn(run(config, Arc::downgrade(shared), reconnect_delay, ready));
    match tokio::time::timeout(FIRST_LISTEN, listening).await {
        Ok(Ok(Ok(()))) => Ok(task.abort_handle()),
        Ok(Ok(Err(e))) => {
            task.abort();
            Err(PgError::Database(e))
        }
        _ => {
            task.abort();
            Err(PgError::Listener)
        }
    }
}

type Ready = oneshot::Sender<Result<(), tokio_postgres::Error>>;

async fn run(
    config: tokio_postgres::Config,
    shared: Weak<Shared>,
    reconnect_delay: Duration,
    ready: Ready,
) {
    let mut ready = Some(ready);
    loop {
        let outcome = listen(&config, &shared, &mut ready).await;
        if let Err(e) = outcome {
            // Failing before the first LISTEN fails `start`; later, retry.
            if let Some(ready) = ready.take() {
                let _ = ready.send(Err(e));
                return;
            }
        }
        // Whatever changed while nobody listened must be read again.
        let Some(alive) = shared.upgrade() else { return };
        alive.mark_all_stale();
        drop(alive);
        tokio::time::sleep(reconnect_delay).await;
    }
}

/// One connection's life: connect, `LISTEN`, and mark changed entries stale
/// until the connection ends or the stores are gone.
async fn listen(
    config: &tokio_postgres::Config,
    shared: &Weak<Shared>,
    ready: &mut Option<Ready>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let statement = format!("LISTEN {CHANNEL}");
    let mut subscribe = pin!(client.batch_execute(&statement));
    let mut listening = false;
    loop {
        let event = poll_fn(|cx| {
            if !listening {
                if let Poll::Ready(done) = subscribe.as_mut().poll(cx) {
                    return Poll::Ready(Event::Listening(done));
                }
            }
            connection.poll_message(cx).map(Event::Message)
        })
        .await;

        let Some(alive) = shared.upgrade() else { return Ok(()) };
        match event {
            Event::Listening(Err(e)) | Event::Message(Some(Err(e))) => return Err(e),
            Event::Listening(Ok(())) => {
                listening = true;
                // Changes made before this LISTEN were not heard.
                alive.mark_all_stale();
                if let Some(ready) = ready.take() {
                    let _ = ready.send(Ok(()));
                }
            }
            Event::Message(Some(Ok(AsyncMessage::Notification(n)))) => alive.changed(n.payload()),
            Event::Message(Some(Ok(_))) => {}
            Event::Message(None) => return Ok(()),
        }
    }
}
