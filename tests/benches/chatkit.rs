//! ChatKit server figures (printed, not asserted): `cargo bench --features test-support`.
//! Targets: threads.list first page with 10k threads stored <= 10 ms p50; appending an
//! item with 10k threads stored <= 5 ms p50; threads.create costing the same with 10 and
//! 10k threads stored; the core's time in a three-tool turn against an instant model
//! <= 2 ms p50 (measured in memory; on disk it adds the turn's few flushes, printed beside).

use std::sync::Arc;
use std::time::{Duration, Instant};

use todo_assistant_core::chatkit::echo::EchoResponder;
use todo_assistant_core::chatkit::server::{ChatKitResponse, ChatKitServer};
use todo_assistant_core::chatkit::store::{new_id, ThreadStore};
use todo_assistant_core::chatkit::types::{
    now, AssistantMessageContent, ItemKind, ThreadItem, ThreadMetadata, ThreadStatus,
};
use todo_assistant_core::storage::documents::FileDocuments;
use todo_assistant_core::storage::thread_store::FileThreadStore;

const THREADS: usize = 10_000;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, target: &str, samples: &mut [Duration]) {
    let p50 = percentile(samples, 0.50);
    let p95 = percentile(samples, 0.95);
    println!(
        "{name:<48} p50 {:>8.3} ms   p95 {:>8.3} ms   (target {target}, n={})",
        p50.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        samples.len()
    );
}

fn thread(n: usize) -> ThreadMetadata {
    ThreadMetadata {
        title: Some(format!("Thread number {n}")),
        id: new_id("thr"),
        created_at: now(),
        status: ThreadStatus::Active,
        allowed_image_domains: None,
        metadata: Default::default(),
    }
}

fn message(thread_id: &str, text: &str) -> ThreadItem {
    ThreadItem {
        id: new_id("msg"),
        thread_id: thread_id.into(),
        created_at: now(),
        kind: ItemKind::AssistantMessage {
            content: vec![AssistantMessageContent::text(text)],
        },
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let docs = Arc::new(FileDocuments::new(dir.path()));
    let store = FileThreadStore::open(docs.clone()).expect("store");
    let threads: Vec<ThreadMetadata> = (0..THREADS).map(thread).collect();
    let seeded = Instant::now();
    store.create_threads(&threads).expect("seed");
    println!("seeded {THREADS} threads in {:.2?}", seeded.elapsed());

    // Reopen, as the app does at start: reads the index and reconciles with the folder.
    let opened = Instant::now();
    let store: Arc<dyn ThreadStore> = Arc::new(FileThreadStore::open(docs).expect("reopen"));
    println!(
        "opened the store with {THREADS} threads in {:.2?}",
        opened.elapsed()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = ChatKitServer::new(store.clone(), Arc::new(EchoResponder));
    let list = br#"{"type":"threads.list","params":{"limit":20}}"#;
    let mut samples = Vec::new();
    for _ in 0..500 {
        let started = Instant::now();
        let response = runtime.block_on(server.handle(list)).expect("threads.list");
        samples.push(started.elapsed());
        assert!(matches!(response, ChatKitResponse::Json(ref body) if body.len() > 100));
    }
    report(
        "threads.list first page (10k threads)",
        "<= 10 ms p50",
        &mut samples,
    );

    // A conversation of some length, as appends happen in real threads.
    let busy = &threads[THREADS / 2].id;
    for n in 0..20 {
        store
            .add_item(busy, &message(busy, &format!("earlier message {n}")))
            .unwrap();
    }
    let mut samples = Vec::new();
    for n in 0..300 {
        let item = message(
            busy,
            &format!("appended message {n} with a few words of text"),
        );
        let started = Instant::now();
        store.add_item(busy, &item).expect("append");
        samples.push(started.elapsed());
    }
    report(
        "append an item (10k threads, 20-320 items)",
        "<= 5 ms p50",
        &mut samples,
    );

    create_cost_by_threads_stored();
    assistant::run();
}

/// `threads.create` with an echoed answer, with 10 and with 10,000 threads stored: the
/// target is the same cost for both. The two stores take turns, so both meet the same
/// disk (another program's writes, or the seeding's own still being written back).
fn create_cost_by_threads_stored() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let create = br#"{"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"Add a task to buy groceries"}],"attachments":[],"inference_options":{}}}}"#;
    let sizes = [10, THREADS];
    let mut dirs = Vec::new();
    let mut servers = Vec::new();
    for stored in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let docs = Arc::new(FileDocuments::new(dir.path()));
        let store = FileThreadStore::open(docs).expect("store");
        let seed: Vec<ThreadMetadata> = (0..stored).map(thread).collect();
        store.create_threads(&seed).expect("seed");
        servers.push(ChatKitServer::new(Arc::new(store), Arc::new(EchoResponder)));
        dirs.push(dir);
    }
    let mut samples = [Vec::new(), Vec::new()];
    for _ in 0..100 {
        for (server, samples) in servers.iter().zip(samples.iter_mut()) {
            let started = Instant::now();
            let response = runtime
                .block_on(server.handle(create))
                .expect("threads.create");
            if let ChatKitResponse::Stream(mut events) = response {
                runtime.block_on(async { while events.recv().await.is_some() {} });
            }
            samples.push(started.elapsed());
        }
    }
    let mut p50s = Vec::new();
    for (stored, samples) in sizes.iter().zip(samples.iter_mut()) {
        p50s.push(percentile(samples, 0.5));
        report(
            &format!("threads.create + echoed answer ({stored} stored)"),
            "same with 10 and 10k",
            samples,
        );
    }
    println!(
        "{:<48} {:>8.1}x   (target 1.0x)",
        "threads.create at 10k stored vs 10 stored",
        p50s[1].as_secs_f64() / p50s[0].as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// The assistant: core time per turn against a model that answers at once, and events per
// second through the IPC fetch path.

mod assistant {
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use http_body_util::Full;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::Response;
    use hyper_util::rt::TokioIo;

    use todo_assistant_core::agent::client::{ModelClient, ModelConfig, RetryPolicy};
    use todo_assistant_core::agent::Agent;
    use todo_assistant_core::broker::client_secret::ClientSecrets;
    use todo_assistant_core::chatkit::echo::EchoResponder;
    use todo_assistant_core::chatkit::gateway::ChatKitGateway;
    use todo_assistant_core::chatkit::ipc::{ChatKitChunk, IpcStreams};
    use todo_assistant_core::chatkit::server::{ChatKitResponse, ChatKitServer};
    use todo_assistant_core::storage::documents::FileDocuments;
    use todo_assistant_core::storage::thread_store::FileThreadStore;
    use todo_assistant_core::tasks::store::TaskStore;

    fn sse(events: &[serde_json::Value]) -> String {
        events
            .iter()
            .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
            .collect()
    }

    /// Odd requests call three tools; even ones answer with a short text.
    fn scripted(call: usize) -> String {
        use serde_json::json;
        let created = json!({"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}});
        let completed = json!({"type": "response.completed", "sequence_number": 9, "response": {"id": "resp_1", "object": "response", "status": "completed", "output": []}});
        if call.is_multiple_of(2) {
            let calls: Vec<_> = (0..3)
                .map(|n| json!({"type": "response.output_item.done", "output_index": n, "sequence_number": n + 1,
                    "item": {"type": "function_call", "id": format!("fc_{n}"), "call_id": format!("call_{call}_{n}"),
                             "name": "add_task", "arguments": format!("{{\"title\":\"Task {call}-{n}\",\"description\":null}}"), "status": "completed"}}))
                .collect();
            let mut events = vec![created];
            events.extend(calls);
            events.push(completed);
            sse(&events)
        } else {
            sse(&[
                created,
                json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Added three tasks.", "sequence_number": 1, "logprobs": []}),
                json!({"type": "response.output_item.done", "output_index": 0, "sequence_number": 2, "item": {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": "Added three tasks.", "annotations": []}]}}),
                completed,
            ])
        }
    }

    async fn instant_model() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let calls = calls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_req| {
                        let n = calls.fetch_add(1, Ordering::SeqCst);
                        async move {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header("content-type", "text/event-stream")
                                    .body(Full::new(Bytes::from(scripted(n))))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        port
    }

    async fn drain(response: ChatKitResponse) -> usize {
        match response {
            ChatKitResponse::Stream(mut events) => {
                let mut n = 0;
                while events.recv().await.is_some() {
                    n += 1;
                }
                n
            }
            ChatKitResponse::Json(_) => 0,
        }
    }

    fn fdatasync_latency(dir: &std::path::Path) -> Duration {
        use std::io::Write;
        let path = dir.join("fsync-probe");
        let mut file = std::fs::File::create(&path).unwrap();
        let mut samples = Vec::new();
        for _ in 0..50 {
            file.write_all(&[0u8; 512]).unwrap();
            let started = Instant::now();
            file.sync_data().unwrap();
            samples.push(started.elapsed());
        }
        std::fs::remove_file(path).unwrap();
        super::percentile(&mut samples, 0.5)
    }

    /// 100 `threads.create` turns whose model calls three tools, then answers.
    async fn three_tool_turns(port: u16, root: &std::path::Path) -> Vec<Duration> {
        let config = ModelConfig {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            api_key: None,
            model: "bench".into(),
            api_style: Default::default(),
        };
        let tasks = Arc::new(TaskStore::open(root).unwrap());
        let agent = Agent::new(
            ModelClient::new(RetryPolicy::default()).unwrap(),
            tasks,
            Arc::new(move || Ok(config.clone())),
        );
        let store = Arc::new(
            FileThreadStore::open(Arc::new(FileDocuments::new(root.join("threads")))).unwrap(),
        );
        let server = ChatKitServer::new(store, Arc::new(agent));
        let create = br#"{"type":"threads.create","params":{"input":{"content":[{"type":"input_text","text":"Add three tasks"}],"attachments":[],"inference_options":{}}}}"#;
        let mut samples: Vec<Duration> = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            let events = drain(server.handle(create).await.unwrap()).await;
            samples.push(started.elapsed());
            assert!(events > 10, "a three-tool turn streams many events");
        }
        samples
    }

    pub fn run() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let port = instant_model().await;
            // The turn's flushes wait for the disk: measured on it, and in memory (tmpfs,
            // where a flush costs nothing), which leaves the core's own work.
            let flush = fdatasync_latency(dir.path());
            println!(
                "{:<48} {:>8.3} ms   (this machine's disk; a turn flushes a few times)",
                "one fdatasync",
                flush.as_secs_f64() * 1e3
            );
            let shm = std::path::Path::new("/dev/shm");
            let in_memory = shm.is_dir().then(|| tempfile::tempdir_in(shm).unwrap());
            for (root, label) in [
                (in_memory.as_ref().map(|d| d.path()), "in memory (/dev/shm)"),
                (Some(dir.path()), "on disk"),
            ] {
                let Some(root) = root else { continue };
                let mut samples = three_tool_turns(port, root).await;
                super::report(
                    &format!("three-tool turn, instant model, {label}"),
                    "<= 2 ms p50 in memory",
                    &mut samples,
                );
            }

            // Events through the IPC fetch path: serialize each event as the IPC channel does.
            let store = Arc::new(FileThreadStore::open(Arc::new(FileDocuments::new(dir.path().join("ipc")))).unwrap());
            let gateway = ChatKitGateway::new(ChatKitServer::new(store, Arc::new(EchoResponder)), Arc::new(ClientSecrets::per_process().unwrap()));
            let secret = gateway.secrets().issue().unwrap().client_secret;
            let words: String = (0..50_000).map(|n| format!("w{n} ")).collect();
            let body = serde_json::json!({"type": "threads.create", "params": {"input": {"content": [{"type": "input_text", "text": words}], "attachments": [], "inference_options": {}}}}).to_string();
            let streams = Arc::new(IpcStreams::default());
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            let counted = Arc::new(AtomicUsize::new(0));
            let counter = counted.clone();
            let started = Instant::now();
            streams
                .fetch(&gateway, Some(&secret), &body, move |chunk: ChatKitChunk| {
                    let wire = serde_json::to_string(&chunk).unwrap();
                    std::hint::black_box(wire);
                    counter.fetch_add(1, Ordering::Relaxed);
                    if chunk == ChatKitChunk::End {
                        let _ = done_tx.send(());
                    }
                    true
                })
                .await;
            tokio::task::spawn_blocking(move || done_rx.recv().unwrap()).await.unwrap();
            let elapsed = started.elapsed();
            let events = counted.load(Ordering::Relaxed);
            println!(
                "{:<48} {:>10.0} events/s   (target >= 20k/s, {events} events in {elapsed:.2?})",
                "events relayed through the IPC fetch path",
                events as f64 / elapsed.as_secs_f64()
            );
        });
    }
}
