//! The `paykassma` command-line tool for merchants debugging an integration: sign a request,
//! check a postback, build a payment window URL, render `qr_data` as a QR code, make UPI app
//! links.
//!
//! Exit codes: 0 success; 1 a postback that fails authentication; 2 bad usage or bad input.
//! Keys may come from the environment (`PAYKASSMA_ACCESS_KEY`, `PAYKASSMA_PRIVATE_KEY`) so
//! they stay out of shell history; they are never printed.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use paykassma::Secret;
use paykassma::signature::{self, PostbackKeys, Scheme, VerifyError};
use paykassma::upi::DeepLinks;
use paykassma::window::{Lang, PluginUrl};
use paykassma::{php, qr};
use rust_decimal::Decimal;
use url::Url;

#[derive(Debug, Parser)]
#[command(
    name = "paykassma",
    version,
    about = "Tools for debugging a Paykassma integration"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read a JSON object on stdin and print its request (W) signature in hex.
    Sign {
        /// The withdrawal private key.
        #[arg(long, env = "PAYKASSMA_PRIVATE_KEY", hide_env_values = true)]
        private_key: String,
        /// Print the whole signed body (compact JSON with `signature` set) instead of the signature.
        #[arg(long)]
        body: bool,
    },
    /// Read a postback body on stdin and check its signature: prints `valid` (exit 0), or the
    /// reason on stderr (exit 1); malformed input exits 2.
    VerifyPostback {
        /// The postback access key (also expected in the body's `access_key`).
        #[arg(long, env = "PAYKASSMA_ACCESS_KEY", hide_env_values = true)]
        access_key: String,
        /// The postback private key.
        #[arg(long, env = "PAYKASSMA_PRIVATE_KEY", hide_env_values = true)]
        private_key: String,
        /// How the gateway signs postbacks: `postback` (P) or `request` (W).
        #[arg(long, value_enum, default_value_t = SchemeArg::Postback)]
        scheme: SchemeArg,
    },
    /// Print a payment window URL.
    PluginUrl(Box<PluginUrlArgs>),
    /// Read `qr_data` on stdin and write it as a QR code image on stdout.
    Qr {
        #[arg(long, value_enum)]
        format: QrFormat,
    },
    /// Read `qr_data` (upi://...) on stdin and print the generic and app-specific links as JSON.
    DeepLinks,
}

#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("base").required(true).args(["base_url", "server"])))]
struct PluginUrlArgs {
    /// The window's full base URL, e.g. https://plugin.example.com/
    #[arg(long)]
    base_url: Option<Url>,
    /// The white-label server: the window is https://plugin.{server}/
    #[arg(long)]
    server: Option<String>,
    /// The user's label (id on the merchant's side).
    #[arg(long)]
    label: String,
    /// Three capital letters, e.g. INR.
    #[arg(long)]
    currency_code: Option<String>,
    /// The window's language: en or hi.
    #[arg(long)]
    lang: Option<Lang>,
    /// Payment method, e.g. upi_l.
    #[arg(long)]
    wallet_type: Option<String>,
    /// Our id for the deposit (at most 64 characters).
    #[arg(long)]
    custom_transaction_id: Option<String>,
    /// Exact amount the user must pay, e.g. 500.50.
    #[arg(long)]
    fixed_amount: Option<Decimal>,
    /// Id of a success redirect URL registered with support.
    #[arg(long)]
    payment_url_success_id: Option<u64>,
    /// Id of a pending redirect URL registered with support.
    #[arg(long)]
    payment_url_pending_id: Option<u64>,
    /// Id of a fail redirect URL registered with support.
    #[arg(long)]
    payment_url_fail_id: Option<u64>,
    /// Success redirect URL hash (from payment-plugin/hash-url).
    #[arg(long)]
    success_url: Option<String>,
    /// Fail redirect URL hash.
    #[arg(long)]
    fail_url: Option<String>,
    /// Pending redirect URL hash.
    #[arg(long)]
    pending_url: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchemeArg {
    Postback,
    Request,
}

impl From<SchemeArg> for Scheme {
    fn from(s: SchemeArg) -> Self {
        match s {
            SchemeArg::Postback => Scheme::Postback,
            SchemeArg::Request => Scheme::Request,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum QrFormat {
    Svg,
    Png,
}

/// How a command failed, which decides the exit code.
enum Failure {
    /// A well-formed postback that fails authentication: exit 1.
    Rejected(String),
    /// Bad input, bad values or I/O trouble: exit 2.
    Input(String),
}

impl Failure {
    fn input(e: impl std::fmt::Display) -> Self {
        Self::Input(e.to_string())
    }
}

fn main() -> ExitCode {
    // clap exits with 2 on usage errors (0 for --help / --version).
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Rejected(msg)) => {
            eprintln!("paykassma: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Input(msg)) => {
            eprintln!("paykassma: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Sign { private_key, body } => {
            let key = secret("private key", private_key)?;
            let input = read_stdin()?;
            let out = if body {
                let data = php::parse(&input).map_err(Failure::input)?;
                signature::sign_request_body(&key, &data).map_err(Failure::input)?
            } else {
                signature::request_signature_json(&key, &input).map_err(Failure::input)?
            };
            write_stdout(format!("{out}\n").as_bytes())
        }
        Command::VerifyPostback {
            access_key,
            private_key,
            scheme,
        } => {
            let keys = PostbackKeys {
                access_key: secret("access key", access_key)?,
                private_key: secret("private key", private_key)?,
            };
            let input = read_stdin()?;
            match signature::verify_postback(&input, &keys, scheme.into()) {
                Ok(_) => write_stdout(b"valid\n"),
                Err(e @ VerifyError::Malformed(_)) => Err(Failure::input(e)),
                Err(e) => Err(Failure::Rejected(e.to_string())),
            }
        }
        Command::PluginUrl(args) => {
            let url = plugin_url(*args)?.build().map_err(Failure::input)?;
            write_stdout(format!("{url}\n").as_bytes())
        }
        Command::Qr { format } => {
            let data = read_stdin_line()?;
            let image = match format {
                QrFormat::Svg => qr::to_svg(&data).map(String::into_bytes),
                QrFormat::Png => qr::to_png(&data),
            }
            .map_err(Failure::input)?;
            write_stdout(&image)
        }
        Command::DeepLinks => {
            let links = DeepLinks::from_qr_data(&read_stdin_line()?).map_err(Failure::input)?;
            let json = serde_json::to_string_pretty(&links).map_err(Failure::input)?;
            write_stdout(format!("{json}\n").as_bytes())
        }
    }
}

fn plugin_url(a: PluginUrlArgs) -> Result<PluginUrl, Failure> {
    let mut url = match (a.base_url, a.server) {
        (Some(base), _) => PluginUrl::new(base, a.label),
        (None, Some(server)) => PluginUrl::for_server(&server, a.label).map_err(Failure::input)?,
        (None, None) => return Err(Failure::Input("give --base-url or --server".into())),
    };
    if let Some(v) = a.currency_code {
        url = url.currency_code(v);
    }
    if let Some(v) = a.lang {
        url = url.lang(v);
    }
    if let Some(v) = a.wallet_type {
        url = url.wallet_type(v);
    }
    if let Some(v) = a.custom_transaction_id {
        url = url.custom_transaction_id(v);
    }
    if let Some(v) = a.fixed_amount {
        url = url.fixed_amount(v);
    }
    if let Some(v) = a.payment_url_success_id {
        url = url.payment_url_success_id(v);
    }
    if let Some(v) = a.payment_url_pending_id {
        url = url.payment_url_pending_id(v);
    }
    if let Some(v) = a.payment_url_fail_id {
        url = url.payment_url_fail_id(v);
    }
    if let Some(v) = a.success_url {
        url = url.success_url(v);
    }
    if let Some(v) = a.fail_url {
        url = url.fail_url(v);
    }
    if let Some(v) = a.pending_url {
        url = url.pending_url(v);
    }
    Ok(url)
}

/// Wraps a key at once so no later error or debug output can show it.
fn secret(what: &str, value: String) -> Result<Secret, Failure> {
    if value.is_empty() {
        return Err(Failure::Input(format!("the {what} is empty")));
    }
    Ok(Secret::new(value))
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut buf)
        .map_err(|e| Failure::Input(format!("cannot read stdin: {e}")))?;
    Ok(buf)
}

/// stdin as text without the trailing line break that `echo` and editors add.
fn read_stdin_line() -> Result<String, Failure> {
    let text = String::from_utf8(read_stdin()?)
        .map_err(|_| Failure::Input("stdin is not UTF-8 text".into()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Input(format!("cannot write stdout: {e}")))
}
