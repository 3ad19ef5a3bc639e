//! The `paykassma` command-line tool for merchants debugging an integration.

fn main() {
    eprintln!("paykassma: the command-line tool is being assembled; no subcommands yet");
    std::process::exit(2);
}
