//! The `local` binary's real-gateway flags: `--gateway` and `--plugin` go together, and the
//! keys must be in the environment; each refusal says what is missing before anything starts.

use std::process::Command;

fn local(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_local"));
    cmd.args(args)
        .args(["--port", "0", "--sandbox-port", "0"])
        .env_remove("PAYKASSMA_SECRET")
        .env_remove("PAYKASSMA_WITHDRAWAL_PRIVATE_KEY")
        .env_remove("PAYKASSMA_POSTBACK_ACCESS_KEY")
        .env_remove("PAYKASSMA_POSTBACK_PRIVATE_KEY");
    cmd.output().expect("run the local binary")
}

#[test]
fn the_gateway_flag_needs_the_plugin_flag() {
    let out = local(&["--gateway", "https://api.example.test"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--plugin"), "{err}");
}

#[test]
fn a_real_gateway_needs_its_keys_in_the_environment() {
    let out = local(&[
        "--gateway",
        "https://api.example.test",
        "--plugin",
        "https://plugin.example.test",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PAYKASSMA_SECRET"), "{err}");
}
