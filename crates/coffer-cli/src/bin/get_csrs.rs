//! `get_csrs [--rotate]`: the certificate signing requests of the API (Main) and UI (Assets)
//! services and the first sysadmin. See [`coffer_cli::certs::get_csrs`].

fn main() -> std::process::ExitCode {
    coffer_cli::certs::get_csrs::main()
}
