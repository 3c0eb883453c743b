//! Self-registration is off on a new cluster, and `sdkms-cluster signup enable|disable` on one
//! member opens and closes it on every member.

use anyhow::{bail, ensure};
use coffer_cluster_tests::sdkms::api_model::SignupRequest;
use coffer_cluster_tests::{DEADLINE, scenario, status_of, wait_until};

fn request(email: &str) -> SignupRequest {
    SignupRequest {
        user_email: email.to_owned(),
        user_password: "Cluster-Signup-2024!".to_owned(),
        recaptcha_response: None,
        first_name: None,
        last_name: None,
    }
}

#[test]
fn signup_follows_the_cluster_setting_on_every_node() {
    scenario("127.20.0", |cluster| {
        cluster.form(2)?;
        cluster.provision(1)?;
        let node2 = cluster.api(2)?;

        eprintln!("--- a new cluster refuses signup");
        match node2
            .anonymous()?
            .signup_user(&request("first@example.com"))
        {
            Err(error) if status_of(&error) == Some(403) => {}
            other => bail!("signup on a new cluster answered {other:?}"),
        }

        eprintln!("--- enabled on node1, node2 takes signups");
        let enabled = cluster.node(1).cli(&["signup", "enable"])?.ok()?;
        ensure!(enabled.contains("signup enabled"), "{enabled}");
        wait_until("node2 takes a signup", DEADLINE, || {
            Ok(node2
                .anonymous()?
                .signup_user(&request("second@example.com"))?)
        })?;

        eprintln!("--- disabled again, refused again");
        cluster.node(1).cli(&["signup", "disable"])?.ok()?;
        wait_until("node2 refuses signups", DEADLINE, || {
            match node2
                .anonymous()?
                .signup_user(&request("third@example.com"))
            {
                Err(error) if status_of(&error) == Some(403) => Ok(()),
                other => bail!("answered {other:?}"),
            }
        })?;
        Ok(())
    });
}
