//! Task figures (printed, not asserted): `cargo bench --features test-support --bench tasks`.
//! Targets: load 10,000 tasks from disk <= 50 ms; one edit with 10,000 tasks stored <= 2 ms
//! p50; replay 1,000 queued edits against a loopback backend <= 2 s.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use todo_assistant_core::broker::secret::SecretString;
use todo_assistant_core::tasks::model::StatusFilter;
use todo_assistant_core::tasks::store::TaskStore;
use todo_assistant_core::tasks::sync::{sync_once, BackendClient, SyncPhase};
use todo_assistant_core::tasks::sync_state::SyncTarget;

type Tasks = Arc<Mutex<(u64, BTreeMap<u64, Value>)>>;

/// The backend's task REST contract, in memory, for one user.
async fn answer(tasks: Tasks, request: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let body: Value =
        serde_json::from_slice(&request.into_body().collect().await.unwrap().to_bytes())
            .unwrap_or(Value::Null);
    let id: Option<u64> = path.rsplit('/').next().and_then(|s| s.parse().ok());
    let mut guard = tasks.lock().unwrap();
    let (next, store) = &mut *guard;
    let reply = |status: u16, value: Value| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(value.to_string())))
            .unwrap()
    };
    match (method, id) {
        (Method::GET, None) => reply(200, Value::Array(store.values().cloned().collect())),
        (Method::POST, None) => {
            *next += 1;
            let task = json!({"id": *next, "user_id": "bench", "title": body["title"], "description": body["description"], "completed": false, "created_at": "2026-11-21T00:00:00Z", "updated_at": "2026-11-21T00:00:00Z"});
            store.insert(*next, task.clone());
            reply(201, task)
        }
        (Method::PUT, Some(id)) => match store.get_mut(&id) {
            Some(task) => {
                for field in ["title", "description", "completed"] {
                    task[field] = body[field].clone();
                }
                reply(200, task.clone())
            }
            None => reply(404, json!({"detail": "Not found"})),
        },
        (Method::DELETE, Some(id)) => match store.remove(&id) {
            Some(_) => reply(204, Value::Null),
            None => reply(404, json!({"detail": "Not found"})),
        },
        _ => reply(405, json!({"detail": "Method not allowed"})),
    }
}

async fn backend() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tasks: Tasks = Arc::new(Mutex::new((0, BTreeMap::new())));
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let tasks = tasks.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let tasks = tasks.clone();
                    async move { Ok::<_, Infallible>(answer(tasks, request).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    port
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    {
        // Seeding commits all 10,000 in one transaction; only the load is measured.
        let store = TaskStore::open(dir.path()).unwrap();
        store
            .transact(|inner| {
                let template = store_task_template();
                for n in 0..10_000 {
                    let mut task = template.clone();
                    task.id = format!("task_seed{n:05}");
                    task.title = format!("Seeded task number {n}");
                    inner.tasks.push(task);
                }
                Ok(())
            })
            .unwrap();
    }
    let mut loads = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let store = TaskStore::open(dir.path()).unwrap();
        loads.push(started.elapsed());
        assert_eq!(store.list(StatusFilter::All).len(), 10_000);
    }
    println!(
        "{:<48} p50 {:>8.2} ms   (target <= 50 ms, n=21)",
        "load 10,000 tasks from disk",
        percentile(&mut loads, 0.5).as_secs_f64() * 1e3
    );

    // Each edit is committed (and fsynced) before it returns, as in the app.
    let store = TaskStore::open(dir.path()).unwrap();
    let mut edits = Vec::new();
    for n in 0..300 {
        let id = format!("task_seed{:05}", (n * 37) % 10_000);
        let started = Instant::now();
        match n % 3 {
            0 => drop(store.set_completed(&id, n % 2 == 0).unwrap()),
            1 => drop(
                store
                    .update(&id, Some(&format!("Renamed {n}")), None)
                    .unwrap(),
            ),
            _ => drop(store.add(&format!("Added {n}"), None).unwrap()),
        }
        edits.push(started.elapsed());
    }
    let p95 = percentile(&mut edits, 0.95);
    println!(
        "{:<48} p50 {:>8.3} ms   p95 {:>8.3} ms   (target <= 2 ms p50, n=300)",
        "one edit with 10,000 tasks stored",
        percentile(&mut edits, 0.5).as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let port = backend().await;
        let dir = tempfile::tempdir().unwrap();
        let store = TaskStore::open(dir.path()).unwrap();
        let target = SyncTarget {
            backend_url: format!("http://127.0.0.1:{port}"),
            user_id: "bench".into(),
        };
        store.connect(target.clone()).unwrap();
        let client = BackendClient::new(target, SecretString::new("bench-token"));
        // 1,000 tasks on the server, then one queued edit to each (edits to one task
        // coalesce, so distinct tasks make 1,000 distinct ops).
        let ids: Vec<String> = (0..1_000)
            .map(|n| store.add(&format!("Task {n}"), None).unwrap().id)
            .collect();
        assert_eq!(sync_once(&store, &client).await.state, SyncPhase::Synced);
        for (n, id) in ids.iter().enumerate() {
            if n % 2 == 0 {
                store
                    .update(id, Some(&format!("Task {n}, renamed")), None)
                    .unwrap();
            } else {
                store.set_completed(id, true).unwrap();
            }
        }
        let queued = store.snapshot().sync.outbox.len();
        let started = Instant::now();
        let outcome = sync_once(&store, &client).await;
        let elapsed = started.elapsed();
        assert_eq!(outcome.state, SyncPhase::Synced, "{outcome:?}");
        println!(
            "{:<48} {:>8.2} s     (target <= 2 s; {queued} queued edits)",
            "replay queued edits against a loopback backend",
            elapsed.as_secs_f64()
        );
    });
}

fn store_task_template() -> todo_assistant_core::tasks::model::Task {
    let now = todo_assistant_core::chatkit::types::now();
    todo_assistant_core::tasks::model::Task {
        id: String::new(),
        title: String::new(),
        description: Some("A description of moderate length for the benchmark".into()),
        completed: false,
        created_at: now,
        updated_at: now,
    }
}
