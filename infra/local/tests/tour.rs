//! The tour printed by `cargo run -p local` works: its curl commands, run as printed against a
//! fresh stack, credit alice's deposit.

use std::time::Duration;

fn commands(tour: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in tour.lines().map(str::trim) {
        if line.starts_with("curl ") || !current.is_empty() {
            let (text, continues) = match line.strip_suffix('\\') {
                Some(t) => (t, true),
                None => (line, false),
            };
            current.push_str(text);
            current.push(' ');
            if !continues {
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

fn run(cmd: &str) -> String {
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("bash and curl");
    assert!(out.status.success(), "{cmd}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_printed_tour_credits_a_deposit() {
    let stack = local::Stack::start(local::StackConfig::ephemeral(local::StoreChoice::Memory))
        .await
        .unwrap();
    let tour = local::tour(&stack.base_url(), &stack.sandbox_url());
    let cmds = commands(&tour);
    assert_eq!(cmds.len(), 7, "{cmds:#?}");
    let mut outputs = Vec::new();
    for cmd in &cmds[..4] {
        let c = cmd.clone();
        outputs.push(tokio::task::spawn_blocking(move || run(&c)).await.unwrap());
    }
    assert!(
        outputs[1].contains("\"status\":\"pending\""),
        "{}",
        outputs[1]
    );
    assert!(
        outputs[3].contains("\"status\":\"credited\""),
        "{}",
        outputs[3]
    );
    // The postback is delivered asynchronously; a person typing step 5 is slower than this.
    let mut balance = String::new();
    for _ in 0..100 {
        let c = cmds[5].clone();
        balance = tokio::task::spawn_blocking(move || run(&c)).await.unwrap();
        if balance.contains("500.00") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        balance.trim(),
        r#"{"balances":{"INR":{"available":"500.00","held":"0.00"}}}"#
    );
    let c = cmds[4].clone();
    let deposit = tokio::task::spawn_blocking(move || run(&c)).await.unwrap();
    assert!(deposit.contains("\"status\":\"credited\""), "{deposit}");
    stack.stop().await;
}
