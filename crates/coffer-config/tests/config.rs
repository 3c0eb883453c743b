//! `config.yaml` end to end: the shipped example, every option's error, warnings, cross-key
//! rules, JSON and diffs.

use coffer_config::{
    Attestation, ClusterConfig, ConfigError, ConfigErrors, LoadBalancer, LogType,
    ProxyHeaderConfig, SealingKeyPolicy, SyslogProtocol, Validated, Warning,
};

const EXAMPLE: &str = include_str!("../../../config.yaml.example");

/// The built-in load balancer's two mandatory keys, appended to documents that test `global`.
const LB: &str = "sdkms:\n  clusterIp: 192.0.2.10\nkeepalived:\n  nwIface: eno1\n";

fn ok(text: &str) -> Validated {
    match ClusterConfig::from_yaml(text) {
        Ok(v) => v,
        Err(e) => panic!("expected a valid config, got:\n{e}\n---\n{text}"),
    }
}

fn errors(text: &str) -> ConfigErrors {
    match ClusterConfig::from_yaml(text) {
        Ok(v) => panic!("expected errors, got {:?}\n---\n{text}", v.config),
        Err(e) => e,
    }
}

/// Deletes the leading `#` of every line of the commented-out block that starts with `#start`
/// (a block ends at a blank line, a line that is only `#`, or a line without `#`).
fn enable(text: &str, start: &str) -> String {
    let mut out = Vec::new();
    let mut inside = false;
    let mut found = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed == format!("#{start}") {
            inside = true;
            found = true;
        } else if inside && (trimmed == "#" || !trimmed.starts_with('#')) {
            inside = false;
        }
        if inside {
            out.push(line.replacen('#', "", 1));
        } else {
            out.push(line.to_owned());
        }
    }
    assert!(found, "no block #{start} in the example");
    out.join("\n") + "\n"
}

/// Comments out one line (matched after its indentation).
fn disable(text: &str, line: &str) -> String {
    assert!(
        text.lines().any(|l| l.trim_start() == line),
        "no line {line:?}"
    );
    text.lines()
        .map(|l| {
            if l.trim_start() == line {
                let indent = l.len() - l.trim_start().len();
                format!("{}#{}", &l[..indent], l.trim_start())
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

// ---------------------------------------------------------------------------------------------
// The shipped example

#[test]
fn example_parses_without_errors_or_warnings() {
    let v = ok(EXAMPLE);
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    let c = v.config;
    assert_eq!(
        c.load_balancer,
        LoadBalancer::BuiltIn {
            cluster_ip: "192.0.2.10".parse().unwrap(),
            interfaces: vec!["enp80s0f0".into()],
        }
    );
    assert_eq!(c.attestation, Attestation::Default);
    assert_eq!(c.service_subnet.to_string(), "10.96.0.0/12");
    assert_eq!(c.pod_subnet.to_string(), "10.244.0.0/16");
    assert!(c.advanced_syslog.is_empty() && c.remote_syslog.is_none());
    assert!(!c.use_log_filter);
    assert!(c.proxy.is_none());
    assert_eq!(c.proxy_header, ProxyHeaderConfig::Disabled);
    assert_eq!(c.sealing_key_policy, SealingKeyPolicy::Sgx);
    assert!(!c.local_ntp);
}

#[test]
fn example_defaults_equal_an_empty_file_plus_the_mandatory_keys() {
    assert_eq!(
        ok(EXAMPLE).config,
        ok(&LB.replace("eno1", "enp80s0f0")).config
    );
}

#[test]
fn example_external_load_balancer_variant() {
    let text = enable(EXAMPLE, "clusterIp: dummy");
    let text = disable(&text, "clusterIp: 192.0.2.10");
    let text = disable(&text, "nwIface: enp80s0f0");
    let v = ok(&text);
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    assert_eq!(
        v.config.load_balancer,
        LoadBalancer::External {
            placeholder: "dummy".into()
        }
    );
    assert_eq!(v.config.load_balancer.cluster_ip(), None);
}

#[test]
fn example_attestation_variants() {
    let off = ok(&enable(EXAMPLE, "attestation: null"));
    assert!(off.warnings.is_empty());
    assert_eq!(off.config.attestation, Attestation::Disabled);
    assert!(!off.config.attestation.is_enabled());

    let service = ok(&enable(EXAMPLE, "attestation:"));
    assert!(service.warnings.is_empty());
    assert_eq!(
        service.config.attestation,
        Attestation::Url("ftx-proxy".into())
    );
}

#[test]
fn example_proxy_variant() {
    let v = ok(&enable(EXAMPLE, "proxy:"));
    assert!(v.warnings.is_empty());
    let proxy = v.config.proxy.unwrap();
    assert_eq!(proxy.url.as_str(), "http://proxy.example.com:3128");
    assert!(!proxy.applies_to("api.example.com", 443));
    assert!(!proxy.applies_to("10.20.30.40", 443));
    assert!(!proxy.applies_to("ldap.example.net", 636));
    assert!(proxy.applies_to("ldap.example.net", 389));
    assert!(proxy.applies_to("attestation.example.org", 443));
}

#[test]
fn example_syslog_variants() {
    let v = ok(&enable(EXAMPLE, "advancedSyslog:"));
    assert!(v.warnings.is_empty());
    let s = &v.config.advanced_syslog;
    assert_eq!(s.len(), 3);
    assert_eq!(s[2].log_type, LogType::Sdkms);
    assert_eq!(s[2].protocol, SyslogProtocol::Tcp);
    assert_eq!(s[2].port, 6514);

    let v = ok(&enable(EXAMPLE, "remoteSyslog:"));
    assert_eq!(v.warnings.len(), 1);
    assert!(
        matches!(&v.warnings[0], Warning::Deprecated { path, .. } if path == "fluentd.remoteSyslog")
    );
    assert_eq!(v.config.syslog_routes().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Every option: an invalid value is an error naming the key path and the line

/// (document, key path, line, words the message must contain)
fn invalid_cases() -> Vec<(String, &'static str, u32, &'static str)> {
    let g = |body: &str| format!("global:\n{body}{LB}");
    vec![
        (
            "global:\n  externalLoadBalancer: true\n  clusterIp: [a, b]\n".into(),
            "global.clusterIp",
            3,
            "a list is not a placeholder such as dummy",
        ),
        (
            "global:\n  externalLoadBalancer: true\n  clusterIp:\n".into(),
            "global.clusterIp",
            3,
            "is empty",
        ),
        (g("  externalLoadBalancer: yes\n"), "global.externalLoadBalancer", 2, "\"yes\" is not true or false"),
        (g("  attestation: false\n"), "global.attestation", 2, "false is not null (attestation off)"),
        (g("  attestation: not a url\n"), "global.attestation", 2, "is not an http(s) URL or a host name"),
        (g("  attestation:\n    url: 42\n"), "global.attestation.url", 3, "42 is not a URL or host name"),
        (g("  attestation:\n    url: ftp://x\n"), "global.attestation.url", 3, "is not an http(s) URL or a host name"),
        (g("  serviceSubnet: 10.96.0.0/40\n"), "global.serviceSubnet", 2, "\"10.96.0.0/40\" is not a CIDR"),
        (g("  podSubnet: 10.244.0.0/33\n"), "global.podSubnet", 2, "\"10.244.0.0/33\" is not a CIDR"),
        (g("  podSubnet: 10.244.1.0/16\n"), "global.podSubnet", 2, "did you mean 10.244.0.0/16?"),
        (g("  proxy: http://proxy:3128\n"), "global.proxy", 2, "is not a mapping with url and exclude"),
        (g("  proxy:\n    url: ftp://proxy:21\n"), "global.proxy.url", 3, "is not an http:// or https:// URL"),
        (g("  proxy:\n    url: http://proxy:99999\n"), "global.proxy.url", 3, "the port is not 1-65535"),
        (
            g("  proxy:\n    url: http://proxy:3128\n    exclude: example.com,*.corp.local\n"),
            "global.proxy.exclude",
            4,
            "\"*.corp.local\" uses a wildcard",
        ),
        (
            g("  proxy:\n    url: http://proxy:3128\n    exclude:\n      - example.com\n      - ^api\\.corp$\n"),
            "global.proxy.exclude[1]",
            6,
            "looks like a regular expression",
        ),
        (
            g("  proxy:\n    url: http://proxy:3128\n    exclude: example.com,,corp.local\n"),
            "global.proxy.exclude",
            4,
            "has an empty item",
        ),
        (
            g("  proxy:\n    url: http://proxy:3128\n    exclude: 10.0.0.0/33\n"),
            "global.proxy.exclude",
            4,
            "\"10.0.0.0/33\" is not a CIDR",
        ),
        (
            g("  sealingKeyPolicy: PersonalizationKey\n"),
            "global.sealingKeyPolicy",
            2,
            "is not one of sgx, personalizationKey, recoveryKey; did you mean personalizationKey?",
        ),
        (g("  sealingKeyPolicy: tpm\n"), "global.sealingKeyPolicy", 2, "\"tpm\" is not one of sgx"),
        (g("  localntp: yes\n"), "global.localntp", 2, "\"yes\" is not true or false"),
        (g("  useLogFilter: 1\n"), "global.useLogFilter", 2, "1 is not true or false"),
        (
            g("  proxyHeaderConfig: \"maybefrom=10.0.0.0/8, 10.1.0.0/16\"\n"),
            "global.proxyHeaderConfig",
            2,
            "contains spaces",
        ),
        (
            "sdkms:\n  clusterIp: 10.0.0.300\nkeepalived:\n  nwIface: eno1\n".into(),
            "sdkms.clusterIp",
            2,
            "\"10.0.0.300\" is not an IP address",
        ),
        (
            "sdkms:\n  clusterIp: 0.0.0.0\nkeepalived:\n  nwIface: eno1\n".into(),
            "sdkms.clusterIp",
            2,
            "cannot be the cluster IP",
        ),
        (
            "sdkms:\n  clusterIp: 192.0.2.10\n  useLogFilter: \"true\"\nkeepalived:\n  nwIface: eno1\n".into(),
            "sdkms.useLogFilter",
            3,
            "\"true\" is not true or false",
        ),
        (
            "sdkms:\n  clusterIp: 192.0.2.10\n  proxyHeaderConfig: sometimes\nkeepalived:\n  nwIface: eno1\n".into(),
            "sdkms.proxyHeaderConfig",
            3,
            "is not disabled, \"maybefrom=<cidr>,<cidr>,...\" or \"requiredfrom=<cidr>,<cidr>,...\"",
        ),
        (
            "sdkms:\n  clusterIp: 192.0.2.10\n  proxyHeaderConfig: \"requiredfrom=192.0.2.0/33\"\nkeepalived:\n  nwIface: eno1\n".into(),
            "sdkms.proxyHeaderConfig",
            3,
            "lists \"192.0.2.0/33\", which is not a CIDR",
        ),
        (
            "sdkms:\n  clusterIp: 192.0.2.10\nkeepalived:\n  nwIface: eno1,,enp80s0f0\n".into(),
            "keepalived.nwIface",
            4,
            "has an empty item",
        ),
        (
            "sdkms:\n  clusterIp: 192.0.2.10\nkeepalived:\n  nwIface: eno1,this-name-is-too-long\n".into(),
            "keepalived.nwIface",
            4,
            "\"this-name-is-too-long\", which is not a network interface name",
        ),
        (
            format!("{LB}fluentd:\n  advancedSyslog: yes\n"),
            "fluentd.advancedSyslog",
            6,
            "is not a list of {host, port, protocol, log_type} entries",
        ),
        (
            format!("{LB}fluentd:\n  advancedSyslog:\n    - host: not a host\n      port: 514\n      protocol: udp\n      log_type: SYSTEM\n"),
            "fluentd.advancedSyslog[0].host",
            7,
            "\"not a host\" is not an IP address or host name",
        ),
        (
            format!("{LB}fluentd:\n  advancedSyslog:\n    - host: 192.0.2.50\n      port: 70000\n      protocol: udp\n      log_type: SYSTEM\n"),
            "fluentd.advancedSyslog[0].port",
            8,
            "70000 is not a port number (1-65535)",
        ),
        (
            format!("{LB}fluentd:\n  advancedSyslog:\n    - host: 192.0.2.50\n      port: 514\n      protocol: TCP\n      log_type: SYSTEM\n"),
            "fluentd.advancedSyslog[0].protocol",
            9,
            "\"TCP\" is not one of tcp, udp; did you mean tcp?",
        ),
        (
            format!("{LB}fluentd:\n  advancedSyslog:\n    - host: 192.0.2.50\n      port: 514\n      protocol: udp\n      log_type: container\n"),
            "fluentd.advancedSyslog[0].log_type",
            10,
            "\"container\" is not one of CONTAINER, SYSTEM, SDKMS; did you mean CONTAINER?",
        ),
        (
            format!("{LB}fluentd:\n  advancedSyslog:\n    - 192.0.2.50:514\n"),
            "fluentd.advancedSyslog[0]",
            7,
            "is not a mapping with host, port, protocol and log_type",
        ),
        (
            format!("{LB}fluentd:\n  remoteSyslog:\n    host: 192.0.2.50\n    port: 0\n    protocol: udp\n"),
            "fluentd.remoteSyslog.port",
            8,
            "0 is not a port number",
        ),
        (format!("global: [1]\n{LB}"), "global", 1, "is not a mapping (the global section)"),
        (
            "sdkms: 192.0.2.10\nkeepalived:\n  nwIface: eno1\n".into(),
            "sdkms",
            1,
            "is not a mapping (the sdkms section)",
        ),
    ]
}

#[test]
fn every_option_reports_path_and_line() {
    for (text, path, line, words) in invalid_cases() {
        let errs = errors(&text);
        let hit = errs
            .iter()
            .find(|e| e.path() == path && e.line() == Some(line))
            .unwrap_or_else(|| panic!("no error at {path} line {line}:\n{errs}\n---\n{text}"));
        let msg = hit.to_string();
        assert!(
            msg.starts_with(&format!("{path} (line {line}): ")),
            "message does not start with the path and line: {msg}"
        );
        assert!(msg.contains(words), "{msg:?} lacks {words:?}");
    }
}

#[test]
fn missing_syslog_fields_name_the_entry() {
    let errs = errors(&format!(
        "{LB}fluentd:\n  advancedSyslog:\n    - host: 192.0.2.50\n      protocol: udp\n"
    ));
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(errs.len(), 2, "{errs}");
    assert!(msgs.iter().any(|m| {
        m.starts_with("fluentd.advancedSyslog[0].port is missing (from the section at line 7)")
    }));
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("fluentd.advancedSyslog[0].log_type is missing"))
    );
}

#[test]
fn proxy_needs_a_url() {
    let errs = errors(&format!(
        "global:\n  proxy:\n    exclude: example.com\n{LB}"
    ));
    assert_eq!(errs.len(), 1);
    assert!(
        errs.errors()[0]
            .to_string()
            .starts_with("global.proxy.url is missing (from the section at line 2)"),
        "{errs}"
    );
}

#[test]
fn every_bad_exclude_entry_is_reported() {
    let errs = errors(&format!(
        "global:\n  proxy:\n    url: http://proxy:3128\n    exclude: \"*.a.com, b.com:0, c.com, (d|e).com\"\n{LB}"
    ));
    assert_eq!(errs.len(), 3, "{errs}");
    let text = errs.to_string();
    for entry in ["\"*.a.com\"", "\"b.com:0\"", "\"(d|e).com\""] {
        assert!(text.contains(entry), "{entry} not named in {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Unknown keys

#[test]
fn unknown_keys_are_warnings_with_the_closest_known_key() {
    let text = "\
global:
  podSubnet: 10.244.0.0/16
  clusterIP: 10.0.0.1
  sealingPolicy: sgx
sdkms:
  clusterIp: 192.0.2.10
keepalived:
  nwIfce: eno1
  nwIface: eno1
localntp: true
fluentd:
  advancedSyslog:
    - host: 192.0.2.50
      port: 514
      protocol: udp
      log_type: SYSTEM
      logtype: SDKMS
  colour: blue
";
    let v = ok(text);
    let msgs: Vec<String> = v.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs,
        [
            "unknown key `global.clusterIP` (line 3); did you mean `global.clusterIp`?",
            "unknown key `global.sealingPolicy` (line 4); did you mean `global.sealingKeyPolicy`?",
            "unknown key `keepalived.nwIfce` (line 8); did you mean `keepalived.nwIface`?",
            "unknown key `localntp` (line 10); did you mean `global.localntp`?",
            "unknown key `fluentd.advancedSyslog[0].logtype` (line 17); did you mean `fluentd.advancedSyslog[0].log_type`?",
            "unknown key `fluentd.colour` (line 18) is ignored",
        ]
    );
    // Unknown keys have no effect.
    assert!(!v.config.local_ntp);
}

#[test]
fn unknown_keys_do_not_hide_errors() {
    let errs = errors(&format!(
        "global:\n  podSubnett: 10.0.0.0/8\n  podSubnet: nope\n{LB}"
    ));
    assert_eq!(errs.len(), 1);
    assert_eq!(errs.errors()[0].path(), "global.podSubnet");
    assert_eq!(errs.warnings().len(), 1);
    assert!(
        errs.to_string()
            .contains("warning: unknown key `global.podSubnett` (line 2)")
    );
}

// ---------------------------------------------------------------------------------------------
// Settings accepted in `global` and in `sdkms`

#[test]
fn use_log_filter_in_global_means_the_same() {
    let v = ok(&format!("global:\n  useLogFilter: true\n{LB}"));
    assert!(v.config.use_log_filter);
    assert!(v.warnings.is_empty());
}

#[test]
fn duplicates_with_the_same_value_are_fine() {
    let text = "\
global:
  useLogFilter: true
  proxyHeaderConfig: \"maybefrom=192.0.2.0/28\"
sdkms:
  clusterIp: 192.0.2.10
  useLogFilter: true
  proxyHeaderConfig: maybefrom=192.0.2.0/28
keepalived:
  nwIface: eno1
";
    let v = ok(text);
    assert!(v.warnings.is_empty());
    assert!(v.config.use_log_filter);
    assert_eq!(v.config.proxy_header.cidrs().len(), 1);
}

#[test]
fn duplicates_with_different_values_are_errors_naming_both() {
    let text = "\
global:
  useLogFilter: true
  proxyHeaderConfig: disabled
sdkms:
  clusterIp: 192.0.2.10
  useLogFilter: false
  proxyHeaderConfig: \"requiredfrom=192.0.2.0/28\"
keepalived:
  nwIface: eno1
";
    let errs = errors(text);
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 2, "{errs}");
    assert!(
        msgs[0].starts_with("global.useLogFilter (line 2) and sdkms.useLogFilter (line 6): "),
        "{}",
        msgs[0]
    );
    assert!(msgs[0].contains("(true and false)"));
    assert!(
        msgs[1].starts_with(
            "global.proxyHeaderConfig (line 3) and sdkms.proxyHeaderConfig (line 7): "
        ),
        "{}",
        msgs[1]
    );
}

#[test]
fn a_duplicated_bad_value_is_reported_once() {
    let errs = errors(
        "global:\n  useLogFilter: maybe\nsdkms:\n  clusterIp: 192.0.2.10\n  useLogFilter: maybe\nkeepalived:\n  nwIface: eno1\n",
    );
    assert_eq!(errs.len(), 1, "{errs}");
    assert_eq!(errs.errors()[0].path(), "sdkms.useLogFilter");
}

// ---------------------------------------------------------------------------------------------
// proxyHeaderConfig

#[test]
fn proxy_header_config_values() {
    let with = |v: &str| {
        ok(&format!(
            "sdkms:\n  clusterIp: 192.0.2.10\n  proxyHeaderConfig: {v}\nkeepalived:\n  nwIface: eno1\n"
        ))
        .config
        .proxy_header
    };
    assert_eq!(with("disabled"), ProxyHeaderConfig::Disabled);
    assert_eq!(with("null"), ProxyHeaderConfig::Disabled);
    assert!(
        matches!(with("\"maybefrom=192.0.2.0/28,198.51.100.0/24\""), ProxyHeaderConfig::MaybeFrom(c) if c.len() == 2)
    );
    assert!(matches!(
        with("requiredfrom=192.0.2.0/28"),
        ProxyHeaderConfig::RequiredFrom(_)
    ));
}

#[test]
fn proxy_header_config_with_spaces_says_so() {
    let errs = errors(
        "sdkms:\n  clusterIp: 192.0.2.10\n  proxyHeaderConfig: \"maybefrom= 192.0.2.0/28\"\nkeepalived:\n  nwIface: eno1\n",
    );
    let msg = errs.errors()[0].to_string();
    assert!(
        msg.starts_with("sdkms.proxyHeaderConfig (line 3): "),
        "{msg}"
    );
    assert!(
        msg.contains("contains spaces; the value must have no spaces anywhere"),
        "{msg}"
    );
}

#[test]
fn proxy_header_ranges_must_not_overlap_the_pod_subnet() {
    // Pod subnet written in the file.
    let errs = errors(
        "global:\n  podSubnet: 10.244.0.0/16\nsdkms:\n  clusterIp: 192.0.2.10\n  proxyHeaderConfig: \"maybefrom=192.0.2.0/28,10.244.8.0/24\"\nkeepalived:\n  nwIface: eno1\n",
    );
    assert_eq!(errs.len(), 1, "{errs}");
    let msg = errs.errors()[0].to_string();
    assert!(
        msg.starts_with("sdkms.proxyHeaderConfig (line 5) and global.podSubnet (line 2): 10.244.8.0/24 overlaps the pod subnet 10.244.0.0/16"),
        "{msg}"
    );
    // The default pod subnet counts too.
    let errs = errors(
        "sdkms:\n  clusterIp: 192.0.2.10\n  proxyHeaderConfig: requiredfrom=10.0.0.0/8\nkeepalived:\n  nwIface: eno1\n",
    );
    let msg = errs.errors()[0].to_string();
    assert!(
        msg.starts_with(
            "sdkms.proxyHeaderConfig (line 3) and global.podSubnet (default): 10.0.0.0/8 overlaps"
        ),
        "{msg}"
    );
    // A pod subnet moved out of the way makes the same range fine.
    ok(
        "global:\n  podSubnet: 172.16.0.0/16\nsdkms:\n  clusterIp: 192.0.2.10\n  proxyHeaderConfig: requiredfrom=10.0.0.0/8\nkeepalived:\n  nwIface: eno1\n",
    );
}

// ---------------------------------------------------------------------------------------------
// Subnets

#[test]
fn subnets_must_not_overlap() {
    let errs = errors(&format!(
        "global:\n  serviceSubnet: 10.96.0.0/12\n  podSubnet: 10.100.0.0/16\n{LB}"
    ));
    let msg = errs.errors()[0].to_string();
    assert!(
        msg.starts_with("global.podSubnet (line 3) and global.serviceSubnet (line 2): 10.100.0.0/16 overlaps 10.96.0.0/12"),
        "{msg}"
    );
    let errs = errors(&format!("global:\n  podSubnet: 10.96.0.0/16\n{LB}"));
    assert!(
        errs.errors()[0]
            .to_string()
            .contains("global.serviceSubnet (default)")
    );
}

#[test]
fn custom_subnets() {
    let c = ok(&format!(
        "global:\n  serviceSubnet: 172.20.0.0/16\n  podSubnet: fd00:244::/56\n{LB}"
    ))
    .config;
    assert_eq!(c.service_subnet.to_string(), "172.20.0.0/16");
    assert_eq!(c.pod_subnet.to_string(), "fd00:244::/56");
}

// ---------------------------------------------------------------------------------------------
// Load balancer

#[test]
fn built_in_load_balancer_needs_cluster_ip_and_interface() {
    let errs = errors("global:\n  localntp: true\n");
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 2, "{errs}");
    assert!(
        msgs[0].starts_with("sdkms.clusterIp is missing: the built-in load balancer"),
        "{}",
        msgs[0]
    );
    assert!(
        msgs[1].starts_with("keepalived.nwIface is missing: the built-in load balancer"),
        "{}",
        msgs[1]
    );

    let errs = errors("sdkms:\n  useLogFilter: true\nkeepalived:\n  nwIface: eno1\n");
    assert!(
        errs.errors()[0]
            .to_string()
            .starts_with("sdkms.clusterIp is missing (from the section at line 1)")
    );
}

#[test]
fn hybrid_cluster_interfaces() {
    let lb = ok("sdkms:\n  clusterIp: 192.0.2.10\nkeepalived:\n  nwIface: enp80s0f0,eno1\n")
        .config
        .load_balancer;
    assert_eq!(lb.interface_for(&["lo", "eno1"]), Some("eno1"));
    assert_eq!(lb.interface_for(&["enp80s0f0"]), Some("enp80s0f0"));
    assert_eq!(lb.interface_for(&["eth0"]), None);
    let ipv6 = ok("sdkms:\n  clusterIp: fd00::10\nkeepalived:\n  nwIface: [eno1, eno2]\n").config;
    assert_eq!(
        ipv6.load_balancer.cluster_ip(),
        Some("fd00::10".parse().unwrap())
    );
}

#[test]
fn external_load_balancer_needs_a_placeholder_cluster_ip() {
    let errs = errors("global:\n  externalLoadBalancer: true\n");
    assert_eq!(errs.len(), 1, "{errs}");
    let msg = errs.errors()[0].to_string();
    assert!(
        msg.starts_with("global.clusterIp is missing (from the section at line 1)"),
        "{msg}"
    );
    assert!(msg.contains("clusterIp: dummy"), "{msg}");

    let v = ok("global:\n  clusterIp: dummy\n  externalLoadBalancer: true\n");
    assert!(v.warnings.is_empty());
    assert_eq!(v.config.load_balancer.cluster_ip(), None);
    // Any placeholder will do.
    ok("global:\n  clusterIp: 10.0.0.1\n  externalLoadBalancer: true\n");
}

#[test]
fn external_load_balancer_ignores_the_built_in_keys() {
    let v = ok(&format!(
        "global:\n  clusterIp: dummy\n  externalLoadBalancer: true\n{LB}"
    ));
    assert!(matches!(
        v.config.load_balancer,
        LoadBalancer::External { .. }
    ));
    let msgs: Vec<String> = v.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 2);
    assert!(
        msgs[0].starts_with(
            "sdkms.clusterIp (line 5) is ignored: global.externalLoadBalancer is true"
        )
    );
    assert!(msgs[1].starts_with("keepalived.nwIface (line 7) is ignored"));
}

#[test]
fn global_cluster_ip_without_external_load_balancer_is_ignored() {
    let v = ok(&format!("global:\n  clusterIp: 192.0.2.99\n{LB}"));
    assert_eq!(
        v.config.load_balancer.cluster_ip(),
        Some("192.0.2.10".parse().unwrap())
    );
    assert!(
        v.warnings[0]
            .to_string()
            .starts_with("global.clusterIp (line 2) is ignored")
    );
}

// ---------------------------------------------------------------------------------------------
// Attestation, sealing, NTP, syslog

#[test]
fn attestation_forms() {
    let att = |body: &str| ok(&format!("global:\n{body}{LB}")).config.attestation;
    assert_eq!(att(""), Attestation::Default);
    assert_eq!(att("  attestation: null\n"), Attestation::Disabled);
    assert_eq!(att("  attestation:\n"), Attestation::Disabled);
    assert_eq!(att("  attestation: ~\n"), Attestation::Disabled);
    assert_eq!(
        att("  attestation: https://attest.example.com/v1\n"),
        Attestation::Url("https://attest.example.com/v1".into())
    );
    assert_eq!(
        att("  attestation:\n    url: ftx-proxy:8443\n"),
        Attestation::Url("ftx-proxy:8443".into())
    );
}

#[test]
fn sealing_policies_and_local_ntp() {
    for (word, policy) in [
        ("sgx", SealingKeyPolicy::Sgx),
        ("personalizationKey", SealingKeyPolicy::PersonalizationKey),
        ("recoveryKey", SealingKeyPolicy::RecoveryKey),
    ] {
        let c = ok(&format!(
            "global:\n  sealingKeyPolicy: {word}\n  localntp: true\n{LB}"
        ))
        .config;
        assert_eq!(c.sealing_key_policy, policy);
        assert!(c.local_ntp);
    }
}

#[test]
fn remote_syslog_still_works_with_a_deprecation_warning() {
    let v = ok(&format!(
        "{LB}fluentd:\n  remoteSyslog:\n    host: logs.example.com\n    port: 514\n    protocol: tcp\n"
    ));
    assert_eq!(v.warnings.len(), 1);
    let msg = v.warnings[0].to_string();
    assert!(
        msg.starts_with("fluentd.remoteSyslog (line 6) is deprecated and will be removed in a future release; use fluentd.advancedSyslog"),
        "{msg}"
    );
    let routes = v.config.syslog_routes();
    assert_eq!(routes.len(), 3);
    assert!(
        routes
            .iter()
            .all(|r| r.host.to_string() == "logs.example.com" && r.port == 514)
    );
}

// ---------------------------------------------------------------------------------------------
// All errors at once; syntax errors

#[test]
fn all_errors_are_reported_together() {
    let text = "\
global:
  podSubnet: 10.244.0.0/33
  sealingKeyPolicy: SGX
  localntp: sometimes
sdkms:
  clusterIp: not-an-ip
keepalived:
  nwIface: eno1
fluentd:
  advancedSyslog:
    - host: 192.0.2.50
      port: 0
      protocol: icmp
      log_type: SDKMS
";
    let errs = errors(text);
    let got: Vec<(&str, Option<u32>)> = errs.iter().map(|e| (e.path(), e.line())).collect();
    assert_eq!(
        got,
        [
            ("global.podSubnet", Some(2)),
            ("global.sealingKeyPolicy", Some(3)),
            ("global.localntp", Some(4)),
            ("sdkms.clusterIp", Some(6)),
            ("fluentd.advancedSyslog[0].port", Some(12)),
            ("fluentd.advancedSyslog[0].protocol", Some(13)),
        ]
    );
    let text = errs.to_string();
    assert!(
        text.starts_with("config.yaml is invalid (6 errors):\n  global.podSubnet (line 2): "),
        "{text}"
    );
    assert!(
        text.contains(
            "\"SGX\" is not one of sgx, personalizationKey, recoveryKey; did you mean sgx?"
        )
    );
}

#[test]
fn broken_yaml_gives_line_and_column() {
    let errs = errors(
        "global:\n  podSubnet: 10.244.0.0/16\n  proxy: {url: http://p:3128\nsdkms:\n  clusterIp: 192.0.2.10\n",
    );
    assert_eq!(errs.len(), 1);
    let e = &errs.errors()[0];
    let ConfigError::Syntax { line, column, .. } = e else {
        panic!("{e:?}")
    };
    assert!(*line >= 3 && *column > 0, "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("not valid YAML at line {line}, column {column}: ")),
        "{e}"
    );

    let errs = errors("global:\n\tpodSubnet: 10.244.0.0/16\n");
    assert!(
        errs.to_string()
            .contains("not valid YAML at line 2, column"),
        "{errs}"
    );

    let errs = errors("global:\n  localntp: true\n  localntp: false\n");
    let msg = errs.to_string();
    assert!(msg.contains("line 3") && msg.contains("duplicate"), "{msg}");
}

#[test]
fn a_file_that_is_not_a_mapping() {
    let errs = errors("- global\n- sdkms\n");
    assert!(
        errs.errors()[0]
            .to_string()
            .starts_with("config.yaml (line 1): a list is not a mapping")
    );
}

// ---------------------------------------------------------------------------------------------
// JSON and diff

#[test]
fn json_has_the_file_layout_with_defaults() {
    let json = ok(EXAMPLE).config.to_json();
    let expected = serde_json::json!({
        "global": {
            "externalLoadBalancer": false,
            "attestation": "default",
            "serviceSubnet": "10.96.0.0/12",
            "podSubnet": "10.244.0.0/16",
            "proxy": null,
            "sealingKeyPolicy": "sgx",
            "localntp": false
        },
        "sdkms": {
            "clusterIp": "192.0.2.10",
            "useLogFilter": false,
            "proxyHeaderConfig": "disabled"
        },
        "keepalived": { "nwIface": ["enp80s0f0"] },
        "fluentd": { "advancedSyslog": [] }
    });
    assert_eq!(json, expected);

    let json = ok(&enable(&enable(EXAMPLE, "advancedSyslog:"), "proxy:"))
        .config
        .to_json();
    assert_eq!(
        json["fluentd"]["advancedSyslog"][2],
        serde_json::json!({"host": "192.0.2.51", "port": 6514, "protocol": "tcp", "log_type": "SDKMS"})
    );
    assert_eq!(
        json["global"]["proxy"],
        serde_json::json!({"url": "http://proxy.example.com:3128", "exclude": ["example.com", "10.0.0.0/8", "ldap.example.net:636"]})
    );
}

#[test]
fn json_redacts_proxy_credentials() {
    let c = ok(&format!(
        "global:\n  proxy:\n    url: http://ops:hunter2@proxy:3128\n{LB}"
    ))
    .config;
    let json = serde_json::to_string(&c).unwrap();
    assert!(!json.contains("hunter2"), "{json}");
    assert!(json.contains("http://ops:***@proxy:3128"));
    assert_eq!(
        c.proxy.unwrap().url.as_str(),
        "http://ops:hunter2@proxy:3128"
    );
}

#[test]
fn diff_of_identical_configs_is_empty() {
    let c = ok(EXAMPLE).config;
    assert!(c.diff(&c.clone()).is_empty());
}

#[test]
fn diff_lists_changes_in_file_order() {
    let old = ok(EXAMPLE).config;
    let text = EXAMPLE
        .replace("sealingKeyPolicy: sgx", "sealingKeyPolicy: recoveryKey")
        .replace("useLogFilter: false", "useLogFilter: true")
        .replace("localntp: false", "localntp: true");
    let new = ok(&text).config;
    let changes = old.diff(&new);
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "global.sealingKeyPolicy",
            "global.localntp",
            "sdkms.useLogFilter"
        ]
    );
    let sealing = &changes[0];
    assert_eq!(sealing.old, Some(serde_json::json!("sgx")));
    assert_eq!(sealing.new, Some(serde_json::json!("recoveryKey")));
    assert_eq!(
        sealing.to_string(),
        "global.sealingKeyPolicy: \"sgx\" -> \"recoveryKey\""
    );
}

#[test]
fn diff_of_a_load_balancer_switch() {
    let old = ok(EXAMPLE).config;
    let text = disable(
        &disable(
            &enable(EXAMPLE, "clusterIp: dummy"),
            "clusterIp: 192.0.2.10",
        ),
        "nwIface: enp80s0f0",
    );
    let new = ok(&text).config;
    let changes = old.diff(&new);
    let summary: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        summary,
        [
            "global.clusterIp: (not set) -> \"dummy\"",
            "global.externalLoadBalancer: false -> true",
            "sdkms.clusterIp: \"192.0.2.10\" -> (not set)",
            "keepalived.nwIface: [\"enp80s0f0\"] -> (not set)",
        ]
    );
}

#[test]
fn diff_reports_a_changed_proxy_password() {
    let a = ok(&format!(
        "global:\n  proxy:\n    url: http://ops:one@proxy:3128\n{LB}"
    ))
    .config;
    let b = ok(&format!(
        "global:\n  proxy:\n    url: http://ops:two@proxy:3128\n{LB}"
    ))
    .config;
    let changes = a.diff(&b);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "global.proxy.url");
    let shown = changes[0].to_string();
    assert!(
        !shown.contains(":one@") && !shown.contains(":two@"),
        "{shown}"
    );
    assert_eq!(changes[0].note, Some("the proxy credentials change"));
}

#[test]
fn diff_of_proxy_and_syslog_lists() {
    let old = ok(EXAMPLE).config;
    let new = ok(&enable(&enable(EXAMPLE, "proxy:"), "advancedSyslog:")).config;
    let changes = old.diff(&new);
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["global.proxy", "fluentd.advancedSyslog"]);
    assert_eq!(changes[0].old, Some(serde_json::Value::Null));
}

#[test]
fn an_unreadable_load_balancer_mode_still_checks_the_other_keys() {
    let errs = errors(
        "global:\n  externalLoadBalancer: maybe\nsdkms:\n  clusterIp: 127.0.0.1\nkeepalived:\n  nwIface: a/b\n",
    );
    let paths: Vec<&str> = errs.iter().map(ConfigError::path).collect();
    assert_eq!(
        paths,
        [
            "global.externalLoadBalancer",
            "sdkms.clusterIp",
            "keepalived.nwIface"
        ]
    );
    assert!(
        errs.errors()[1]
            .to_string()
            .contains("it is a loopback address")
    );
}
