//! `install_certs [--rotate]`: installs the signed certificate chains of the API (Main) and UI
//! (Assets) services. See [`coffer_cli::certs::install_certs`].

fn main() -> std::process::ExitCode {
    coffer_cli::certs::install_certs::main()
}
