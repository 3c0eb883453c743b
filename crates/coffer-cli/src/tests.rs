//! Every subcommand parses the installation guide's command lines, and malformed ones are
//! usage errors that name the flag.

use super::*;
use crate::cmd::token::TokenCommand;
use clap::CommandFactory;
use clap::error::ErrorKind;
use std::time::Duration;

fn parse(line: &str) -> Cli {
    Cli::try_parse_from(line.split_whitespace()).unwrap_or_else(|error| panic!("{line}: {error}"))
}

fn usage_error(line: &str) -> clap::Error {
    match Cli::try_parse_from(line.split_whitespace()) {
        Ok(cli) => panic!("{line} parsed: {cli:?}"),
        Err(error) => error,
    }
}

#[test]
fn the_command_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn the_data_dir_defaults_and_is_accepted_after_the_subcommand() {
    // Only when the environment does not set it (the test runner might).
    if std::env::var_os("COFFER_DATA_DIR").is_none() {
        assert_eq!(
            parse("sdkms-cluster status").data_dir,
            Path::new("/var/lib/coffer")
        );
    }
    assert_eq!(
        parse("sdkms-cluster --data-dir /tmp/n1 status").data_dir,
        Path::new("/tmp/n1")
    );
    assert_eq!(
        parse("sdkms-cluster status --data-dir /tmp/n2").data_dir,
        Path::new("/tmp/n2")
    );
    assert_eq!(
        parse("sdkms-cluster token create --data-dir=/tmp/n3").data_dir,
        Path::new("/tmp/n3")
    );
}

#[test]
fn create_parses_the_guides_line() {
    let Command::Create(args) =
        parse("sdkms-cluster create --self=10.0.0.1/24 --config ./config.yaml").command
    else {
        panic!("not create");
    };
    assert_eq!(args.self_addr.to_string(), "10.0.0.1/24");
    assert_eq!(args.config, Path::new("./config.yaml"));
    assert_eq!(args.node_name, None);
    let Command::Create(args) =
        parse("sdkms-cluster create --self 10.0.0.1/24 --config c.yaml --node-name node-1").command
    else {
        panic!("not create");
    };
    assert_eq!(args.node_name.as_deref(), Some("node-1"));
}

#[test]
fn create_without_a_prefix_is_a_usage_error_naming_self() {
    let error = usage_error("sdkms-cluster create --self=10.0.0.1 --config ./config.yaml");
    assert_eq!(error.kind(), ErrorKind::ValueValidation);
    let text = error.to_string();
    assert!(text.contains("--self <IP/PREFIX>"), "{text}");
    assert!(text.contains("no prefix length"), "{text}");
    let text = usage_error("sdkms-cluster create --self=10.0.0.1/40 --config c").to_string();
    assert!(text.contains("from 0 to 32"), "{text}");
    assert_eq!(
        usage_error("sdkms-cluster create --self=10.0.0.1/24").kind(),
        ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn join_parses_the_guides_same_subnet_line() {
    let Command::Join(args) =
        parse("sdkms-cluster join --peer=10.0.0.1/24 --token=525073.715ecf923e4ae1db").command
    else {
        panic!("not join");
    };
    assert_eq!(args.peer.to_string(), "10.0.0.1/24");
    assert_eq!(args.token.as_str(), "525073.715ecf923e4ae1db");
    assert_eq!(args.self_addr, None);
}

#[test]
fn join_parses_the_guides_other_subnet_line() {
    let Command::Join(args) =
        parse("sdkms-cluster join --peer=10.0.0.1 --token=525073.715ecf923e4ae1db --self=10.0.1.2")
            .command
    else {
        panic!("not join");
    };
    assert_eq!(args.peer.to_string(), "10.0.0.1");
    assert_eq!(
        args.self_addr.map(|addr| addr.to_string()).as_deref(),
        Some("10.0.1.2")
    );
}

#[test]
fn join_with_a_malformed_token_is_a_usage_error_naming_token() {
    let error = usage_error("sdkms-cluster join --peer=10.0.0.1/24 --token=525073715ecf923e4ae1db");
    assert_eq!(error.kind(), ErrorKind::ValueValidation);
    let text = error.to_string();
    assert!(text.contains("--token <TOKEN>"), "{text}");
    assert!(
        text.contains("6 lower-case letters or digits, a dot, then 16 more"),
        "{text}"
    );
    let text = usage_error("sdkms-cluster join --peer=node1 --token=525073.715ecf923e4ae1db");
    assert!(text.to_string().contains("--peer <IP[/PREFIX]>"), "{text}");
}

#[test]
fn token_delete_takes_an_id() {
    match parse("sdkms-cluster token delete 525073").command {
        Command::Token(args) => match args.command {
            TokenCommand::Delete { id } => assert_eq!(id, "525073"),
            other => panic!("{other:?}"),
        },
        _ => panic!("not token"),
    }
    assert_eq!(
        usage_error("sdkms-cluster token delete").kind(),
        ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn token_create_defaults_to_a_day_and_takes_durations() {
    let ttl = |line: &str| match parse(line).command {
        Command::Token(args) => match args.command {
            TokenCommand::Create { ttl } => ttl,
            other => panic!("{other:?}"),
        },
        _ => panic!("not token"),
    };
    assert_eq!(
        ttl("sdkms-cluster token create"),
        Duration::from_secs(86_400)
    );
    assert_eq!(
        ttl("sdkms-cluster token create --ttl 30m"),
        Duration::from_secs(1_800)
    );
    assert_eq!(
        ttl("sdkms-cluster token create --ttl=7d"),
        Duration::from_secs(604_800)
    );
    assert_eq!(
        ttl("sdkms-cluster token create --ttl 3600s"),
        Duration::from_secs(3_600)
    );
    let text = usage_error("sdkms-cluster token create --ttl 24").to_string();
    assert!(
        text.contains("--ttl <DURATION>") && text.contains("has no unit"),
        "{text}"
    );
}

#[test]
fn token_list_parses() {
    assert!(matches!(
        parse("sdkms-cluster token list").command,
        Command::Token(args) if matches!(args.command, TokenCommand::List)
    ));
}

#[test]
fn remove_parses_the_guides_line_and_force_is_optional_for_the_parser() {
    let Command::Remove(args) = parse("sdkms-cluster remove --node node-3 --force").command else {
        panic!("not remove");
    };
    assert_eq!((args.node.as_str(), args.force), ("node-3", true));
    let Command::Remove(args) = parse("sdkms-cluster remove --node node-3").command else {
        panic!("not remove");
    };
    assert!(
        !args.force,
        "the refusal is the command's, with its explanation"
    );
}

#[test]
fn reset_parses_the_guides_line() {
    let Command::Reset(args) = parse("sdkms-cluster reset --delete-data --reset-iptables").command
    else {
        panic!("not reset");
    };
    assert!(args.delete_data && args.reset_iptables);
    let Command::Reset(args) = parse("sdkms-cluster reset").command else {
        panic!("not reset");
    };
    assert!(!args.delete_data && !args.reset_iptables);
}

#[test]
fn status_parses_with_and_without_json() {
    assert!(matches!(parse("sdkms-cluster status").command, Command::Status(args) if !args.json));
    assert!(
        matches!(parse("sdkms-cluster status --json").command, Command::Status(args) if args.json)
    );
}

#[test]
fn label_takes_one_node_or_a_map_file() {
    let Command::Label(args) = parse("sdkms-cluster label --node node-1 --dc dc-east").command
    else {
        panic!("not label");
    };
    assert_eq!(args.node.as_deref(), Some("node-1"));
    assert_eq!(args.dc.as_deref(), Some("dc-east"));
    let Command::Label(args) = parse("sdkms-cluster label --auto --dc-map ./dc-map.txt").command
    else {
        panic!("not label");
    };
    assert!(args.auto);
    assert_eq!(args.dc_map.as_deref(), Some(Path::new("./dc-map.txt")));

    for bad in [
        "sdkms-cluster label",
        "sdkms-cluster label --node node-1",
        "sdkms-cluster label --dc dc-east",
        "sdkms-cluster label --auto",
        "sdkms-cluster label --dc-map m.txt",
        "sdkms-cluster label --auto --dc-map m.txt --node node-1 --dc dc-east",
    ] {
        let _ = usage_error(bad);
    }
}

#[test]
fn repair_check_network_and_sysadmin_parse() {
    assert!(matches!(
        parse("sdkms-cluster repair").command,
        Command::Repair(_)
    ));
    assert!(matches!(
        parse("sdkms-cluster check-network").command,
        Command::CheckNetwork(args) if args.peer.is_none()
    ));
    assert!(matches!(
        parse("sdkms-cluster check-network --peer 10.0.0.2").command,
        Command::CheckNetwork(args) if args.peer.as_deref() == Some("10.0.0.2")
    ));
    let Command::Sysadmin(args) =
        parse("sdkms-cluster sysadmin create --email admin@example.com --password Pa55-word!x")
            .command
    else {
        panic!("not sysadmin");
    };
    let cmd::sysadmin::SysadminCommand::Create { email, password } = args.command;
    assert_eq!(email, "admin@example.com");
    assert_eq!(password.as_deref(), Some("Pa55-word!x"));
}

#[test]
fn unknown_subcommands_are_usage_errors() {
    assert_eq!(
        usage_error("sdkms-cluster upgrade").kind(),
        ErrorKind::InvalidSubcommand
    );
}

#[test]
fn deploy_and_config_show_parse_the_guide_spellings() {
    let cli = parse("sdkms-cluster deploy --config ./config.yaml --stage DEPLOY --dry-run");
    let Command::Deploy(args) = cli.command else {
        panic!("not deploy")
    };
    assert!(args.dry_run);
    assert_eq!(args.stage, "DEPLOY");
    assert_eq!(
        usage_error("sdkms-cluster deploy --config c.yaml --stage TEST").kind(),
        ErrorKind::InvalidValue
    );
    let cli = parse("sdkms-cluster config show --json");
    assert!(matches!(cli.command, Command::Config(_)));
}
