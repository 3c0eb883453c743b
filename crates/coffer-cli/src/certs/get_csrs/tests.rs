use super::*;
use crate::prompt::scripted::Scripted;
use clap::{CommandFactory, Parser};

fn parse(line: &[&str]) -> GetCsrsArgs {
    GetCsrsArgs::try_parse_from(line).unwrap_or_else(|error| panic!("{line:?}: {error}"))
}

fn all_flags() -> Vec<&'static str> {
    vec![
        "get_csrs",
        "--main-domain",
        "dsm.example.com",
        "--ui-domain",
        "ui.example.com",
        "--cluster-name",
        "production",
        "--sysadmin-email",
        "admin@example.com",
        "--sysadmin-password",
        "Pa55-word!x",
    ]
}

#[test]
fn the_command_definition_is_consistent() {
    GetCsrsArgs::command().debug_assert();
}

#[test]
fn with_every_flag_nothing_is_asked() {
    let mut line = all_flags();
    line.extend([
        "--main-san",
        "mtls.example.com",
        "--main-san",
        "api.example.com",
    ]);
    let args = parse(&line);
    let mut terminal = Scripted::new(&[], &[]);
    let answers = args.resolve(Some(&mut terminal)).unwrap();
    assert!(terminal.questions.is_empty(), "{:?}", terminal.questions);
    assert_eq!(answers.main_sans, ["mtls.example.com", "api.example.com"]);
    assert!(answers.ui_sans.is_empty());
    assert_eq!(args.resolve(None).unwrap(), answers);
}

#[test]
fn without_a_terminal_every_missing_flag_is_named() {
    if std::env::var_os("COFFER_SYSADMIN_PASSWORD").is_some() {
        return;
    }
    let args = parse(&["get_csrs", "--main-domain", "dsm.example.com"]);
    let error = args.resolve(None).unwrap_err();
    let text = error.to_string();
    for flag in [
        "--ui-domain",
        "--cluster-name",
        "--sysadmin-email",
        "--sysadmin-password",
    ] {
        assert!(text.contains(flag), "{text}");
    }
    assert!(!text.contains("--main-domain"), "{text}");
    assert!(text.contains("not a terminal"), "{text}");
}

#[test]
fn on_a_terminal_the_questions_come_in_the_guides_order() {
    if std::env::var_os("COFFER_SYSADMIN_PASSWORD").is_some() {
        return;
    }
    let args = parse(&["get_csrs", "--rotate"]);
    let mut terminal = Scripted::new(
        &[
            "dsm.example.com",
            "mtls.example.com",
            "",
            "CN=ui.example.com O=Example L=Mountain View ST=California",
            "",
            "production",
            "admin@example.com",
        ],
        &["Pa55-word!x", "Pa55-word!x"],
    );
    let answers = args.resolve(Some(&mut terminal)).unwrap();
    assert_eq!(
        terminal.questions,
        [
            "Domain name for the cluster (Main): ",
            "Domain name for the UI (Assets): ",
            "Cluster name: ",
            "Sysadmin email address: ",
            "Sysadmin password: ",
            "Repeat the sysadmin password: ",
        ]
    );
    assert_eq!(answers.main_domain, "dsm.example.com");
    assert_eq!(answers.main_sans, ["mtls.example.com"]);
    assert_eq!(
        answers.ui_domain,
        "CN=ui.example.com O=Example L=Mountain View ST=California"
    );
    assert!(answers.ui_sans.is_empty());
    assert_eq!(answers.sysadmin_password, "Pa55-word!x");
    assert!(!format!("{answers:?}").contains("Pa55"));
}

#[test]
fn the_output_is_the_two_headed_requests_then_the_next_steps() {
    let created = CsrsCreated {
        cluster_csr_pem:
            "-----BEGIN CERTIFICATE REQUEST-----\nMAIN\n-----END CERTIFICATE REQUEST-----\n".into(),
        ui_csr_pem: "-----BEGIN CERTIFICATE REQUEST-----\nUI\n-----END CERTIFICATE REQUEST-----"
            .into(),
        sysadmin_created: true,
    };
    let args = parse(&all_flags());
    let answers = args.resolve(None).unwrap_or_else(|_| CsrAnswers {
        main_domain: "dsm.example.com".into(),
        main_sans: vec![],
        mtls_sans: vec![],
        ui_domain: "ui.example.com".into(),
        ui_sans: vec![],
        cluster_name: "production".into(),
        sysadmin_email: "admin@example.com".into(),
        sysadmin_password: "x".into(),
    });
    let text = render(&created, &answers, false);
    assert!(
        text.starts_with(
            "Cluster Certificate Request:\n-----BEGIN CERTIFICATE REQUEST-----\nMAIN\n\
         -----END CERTIFICATE REQUEST-----\n\n\
         UI Certificate Request:\n-----BEGIN CERTIFICATE REQUEST-----\nUI\n\
         -----END CERTIFICATE REQUEST-----\n\n\
         The first sysadmin, admin@example.com, was created.\n"
        ),
        "{text}"
    );
    assert!(text.contains("      install_certs\n"), "{text}");
    let text = render(&created, &answers, true);
    assert!(text.contains("      install_certs --rotate\n"), "{text}");
    assert!(text.contains("keep serving"), "{text}");
    assert!(!text.contains("mutual-TLS"), "{text}");
    let with_mtls = CsrAnswers {
        mtls_sans: vec!["mtls.example.com".into()],
        ..answers
    };
    let text = render(&created, &with_mtls, false);
    assert!(
        text.contains("names the mutual-TLS interface mtls.example.com;"),
        "{text}"
    );
}

#[test]
fn the_mutual_tls_interface_is_asked_after_the_main_sans_unless_given_or_rotating() {
    if std::env::var_os("COFFER_SYSADMIN_PASSWORD").is_some() {
        return;
    }
    let args = parse(&["get_csrs"]);
    let mut terminal = Scripted::new(
        &[
            "dsm.example.com",
            "api.example.com",
            "",
            " mtls.example.com ",
            "ui.example.com",
            "",
            "production",
            "admin@example.com",
        ],
        &["Pa55-word!x", "Pa55-word!x"],
    );
    let answers = args.resolve(Some(&mut terminal)).unwrap();
    assert_eq!(
        terminal.questions[..3],
        [
            "Domain name for the cluster (Main): ",
            "Mutual-TLS interface name (empty for none): ",
            "Domain name for the UI (Assets): ",
        ]
    );
    assert_eq!(answers.main_sans, ["api.example.com"]);
    assert_eq!(answers.mtls_sans, ["mtls.example.com"]);

    let mut terminal = Scripted::new(
        &[
            "dsm.example.com",
            "",
            "",
            "ui.example.com",
            "",
            "p",
            "a@example.com",
        ],
        &["Pa55-word!x", "Pa55-word!x"],
    );
    let answers = args.resolve(Some(&mut terminal)).unwrap();
    assert!(answers.mtls_sans.is_empty(), "an empty answer means none");

    let given = parse(&["get_csrs", "--mtls-san", "mtls.example.com"]);
    let mut terminal = Scripted::new(
        &[
            "dsm.example.com",
            "",
            "ui.example.com",
            "",
            "p",
            "a@example.com",
        ],
        &["Pa55-word!x", "Pa55-word!x"],
    );
    let answers = given.resolve(Some(&mut terminal)).unwrap();
    assert!(
        !terminal
            .questions
            .iter()
            .any(|q| q.starts_with("Mutual-TLS")),
        "{:?}",
        terminal.questions
    );
    assert_eq!(answers.mtls_sans, ["mtls.example.com"]);
    assert!(answers.main_sans.is_empty());
}

#[test]
fn the_mutual_tls_interface_goes_to_the_daemon_only_when_there_is_one() {
    let request = |mtls_sans: Vec<String>| {
        serde_json::to_value(AdminRequest::GetCsrs {
            main_domain: "dsm.example.com".into(),
            main_sans: vec![],
            mtls_sans,
            ui_domain: "ui.example.com".into(),
            ui_sans: vec![],
            cluster_name: "c".into(),
            sysadmin_email: "a@example.com".into(),
            sysadmin_password: "p".into(),
            rotate: false,
        })
        .unwrap()
    };
    assert!(request(vec![]).get("mtls_sans").is_none());
    let with = request(vec!["mtls.example.com".into()]);
    assert_eq!(with["mtls_sans"], serde_json::json!(["mtls.example.com"]));
    let mut old = with.clone();
    old.as_object_mut().unwrap().remove("mtls_sans");
    let read: AdminRequest = serde_json::from_value(old).unwrap();
    assert!(matches!(read, AdminRequest::GetCsrs { mtls_sans, .. } if mtls_sans.is_empty()));
}
