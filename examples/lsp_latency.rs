//! `mlalert server` latency: the time from a `textDocument/didChange` to
//! the `textDocument/publishDiagnostics` it answers with, for one open
//! document in a workspace folder, over many changes (each a real change of
//! the text, so that every round re-loads and re-checks the file and the
//! project passes). The server runs in-process on `lsp-server`'s memory
//! connection: what is measured is mlalert's work and the JSON it writes,
//! not the pipe.
//!
//! Usage: cargo run --release --example lsp_latency -- [FOLDER FILE [ROUNDS]]
//! (defaults: fixtures/ml-platform, inference-alerts.yaml, 300 rounds).
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = std::fs::canonicalize(args.first().map_or("fixtures/ml-platform", String::as_str))
        .expect("workspace folder");
    let file = root.join(args.get(1).map_or("inference-alerts.yaml", String::as_str));
    let rounds: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(300);
    let text = std::fs::read_to_string(&file).expect("the file to change");
    let uri = format!("file://{}", file.display());

    // The CLI gives the server and rayon's workers stacks sized for deep PromQL.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(mlalert::promql::STACK_BYTES)
        .build_global();
    let (server, client) = Connection::memory();
    let thread = std::thread::Builder::new()
        .stack_size(mlalert::promql::STACK_BYTES)
        .spawn(move || mlalert::cli::server::serve(&server))
        .expect("server thread");

    let send = |m: Message| client.sender.send(m).expect("send");
    let notify = |method: &str, params: serde_json::Value| {
        send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    };
    let wait_published = |version: i32| loop {
        match client.receiver.recv().expect("server alive") {
            Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics"
                    && n.params["uri"] == uri.as_str()
                    && n.params["version"] == version =>
            {
                return n.params["diagnostics"].as_array().map_or(0, Vec::len);
            }
            _ => {}
        }
    };

    let t = Instant::now();
    send(Message::Request(Request::new(
        RequestId::from(1),
        "initialize".to_string(),
        json!({"processId": null, "rootUri": format!("file://{}", root.display()), "capabilities": {}}),
    )));
    loop {
        if let Message::Response(_) = client.receiver.recv().expect("initialize response") {
            break;
        }
    }
    notify("initialized", json!({}));
    notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 0, "text": text}}),
    );
    let findings = wait_published(0);
    let startup = t.elapsed();

    let mut times: Vec<Duration> = Vec::with_capacity(rounds);
    for i in 1..=rounds {
        // A comment at the end: a new text each round, the same findings.
        let changed = format!("{text}\n# round {i}\n");
        let version = i32::try_from(i).unwrap_or(i32::MAX);
        let t = Instant::now();
        notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": changed}]}),
        );
        let n = wait_published(version);
        times.push(t.elapsed());
        assert_eq!(n, findings, "the same findings every round");
    }
    send(Message::Request(Request::new(
        RequestId::from(2),
        "shutdown".to_string(),
        serde_json::Value::Null,
    )));
    notify("exit", serde_json::Value::Null);
    let _ = thread.join();

    times.sort();
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    println!(
        "{} ({} lines, {} findings) in {}: startup+open {:.1?}; didChange -> publishDiagnostics over {} rounds: min {:.2?}, median {:.2?}, p95 {:.2?}, max {:.2?}",
        file.display(),
        text.lines().count(),
        findings,
        root.display(),
        startup,
        rounds,
        times[0],
        pct(50),
        pct(95),
        times[times.len() - 1],
    );
}
