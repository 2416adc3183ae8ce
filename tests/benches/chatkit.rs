//! ChatKit server figures (printed, not asserted): `cargo bench --features test-support`.
//! Targets: threads.list first page with 10k threads stored <= 10 ms p50; appending an
//! item with 10k threads stored <= 5 ms p50.

use std::sync::Arc;
use std::time::{Duration, Instant};

use todo_assistant::chatkit::echo::EchoResponder;
use todo_assistant::chatkit::server::{ChatKitResponse, ChatKitServer};
use todo_assistant::chatkit::store::{new_id, ThreadStore};
use todo_assistant::chatkit::types::{
    now, AssistantMessageContent, ItemKind, ThreadItem, ThreadMetadata, ThreadStatus,
};
use todo_assistant::storage::documents::FileDocuments;
use todo_assistant::storage::thread_store::FileThreadStore;

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
    println!("opened the store with {THREADS} threads in {:.2?}", opened.elapsed());

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
    report("threads.list first page (10k threads)", "<= 10 ms p50", &mut samples);

    // A conversation of some length, as appends happen in real threads.
    let busy = &threads[THREADS / 2].id;
    for n in 0..20 {
        store.add_item(busy, &message(busy, &format!("earlier message {n}"))).unwrap();
    }
    let mut samples = Vec::new();
    for n in 0..300 {
        let item = message(busy, &format!("appended message {n} with a few words of text"));
        let started = Instant::now();
        store.add_item(busy, &item).expect("append");
        samples.push(started.elapsed());
    }
    report("append an item (10k threads, 20-320 items)", "<= 5 ms p50", &mut samples);
}
