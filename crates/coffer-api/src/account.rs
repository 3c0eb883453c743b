//! `/sys/v1/accounts` (dsm-api.md §4.1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codec::{CompactTime, deserialize_opt_bool};

/// An account as `GET/POST/PATCH /sys/v1/accounts…` return it.
///
/// Rs requires `acct_id`, `name`, `enabled`, `subscription` and `logging_configs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Account id.
    pub acct_id: Uuid,
    /// Display name.
    pub name: String,
    /// Whether the account is enabled.
    pub enabled: bool,
    /// Subscription; Coffer reports [`SubscriptionType::OnPrem`].
    pub subscription: SubscriptionType,
    /// Log forwarding configurations keyed by id; Coffer sends `{}`. Values are passed through.
    #[serde(default)]
    pub logging_configs: BTreeMap<Uuid, serde_json::Value>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Organization name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Notification preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_pref: Option<NotificationPref>,
    /// Authentication settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_config: Option<AuthConfig>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<CompactTime>,
    /// Initial purchase time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_purchase_at: Option<CompactTime>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Quorum approval policy, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<serde_json::Value>,
    /// Parent (reseller) account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_acct_id: Option<Uuid>,
    /// Object counts, when `with_totals=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<ObjectCounts>,
    /// Account state (Py's model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<AccountState>,
    /// Authentication type (Py's model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AccountAuthType>,
}

/// `POST /sys/v1/accounts` (create) and `PATCH /sys/v1/accounts/{id}` (partial update) body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountRequest {
    /// Display name (required to create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Enable or disable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Organization name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Notification preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_pref: Option<NotificationPref>,
    /// Authentication settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_config: Option<AuthConfig>,
    /// User-defined metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Quorum approval policy, passed through unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<serde_json::Value>,
    /// Parent (reseller) account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_acct_id: Option<Uuid>,
    /// Requested subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionType>,
}

/// Subscription of an account, externally tagged in snake case: `"on_prem"`, `"standard"`,
/// `"enterprise"`, `{"trial":{"expires_at":…}}`, `{"custom":{…}}`, `{"reseller":{…}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionType {
    /// Trial, possibly expiring.
    Trial {
        /// End of the trial.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<CompactTime>,
    },
    /// Standard.
    Standard,
    /// Enterprise.
    Enterprise,
    /// Custom limits.
    Custom {
        /// Plugin limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_plugin: Option<u32>,
        /// Operation limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_operation: Option<u64>,
    },
    /// On-premises deployment: what Coffer reports.
    OnPrem,
    /// Reseller limits.
    Reseller {
        /// Plugin limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_plugin: Option<u32>,
        /// Operation limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_operation: Option<u64>,
        /// Tenant limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_tenant: Option<u32>,
        /// Per-tenant plugin limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_tenant_plugin: Option<u32>,
        /// Per-tenant operation limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_tenant_operation: Option<u64>,
    },
}

wire_enum! {
    /// How account notifications are sent.
    pub enum NotificationPref {
        /// Not at all.
        None = "None",
        /// By e-mail.
        Email = "Email",
        /// By phone.
        Phone = "Phone",
        /// Both.
        Both = "Both",
    }
}

wire_enum! {
    /// Account state as Py models it.
    pub enum AccountState {
        /// Awaiting confirmation.
        PendingConfirmation = "PendingConfirmation",
        /// Active.
        Activated = "Activated",
        /// Disabled.
        Disabled = "Disabled",
    }
}

wire_enum! {
    /// Account authentication type as Py models it.
    pub enum AccountAuthType {
        /// Passwords.
        Fortanix = "Fortanix",
        /// Passwords plus second factor.
        FortanixMfa = "FortanixMFA",
        /// External identity provider.
        External = "External",
    }
}

/// Account authentication settings. Only password settings are modelled; other members
/// (`saml`, `oauth`, `ldap`, `signed_jwt`) are ignored on input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// Password authentication settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<AuthConfigPassword>,
}

/// Password authentication settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfigPassword {
    /// Whether users must use a second factor.
    #[serde(default)]
    pub require_2fa: bool,
    /// Whether the rule applies to administrators only.
    #[serde(default)]
    pub administrators_only: bool,
}

/// Counts of objects in an account (`totals`); Rs requires all five.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectCounts {
    /// Groups.
    pub groups: u64,
    /// Apps.
    pub apps: u64,
    /// Users.
    pub users: u64,
    /// Plugins.
    pub plugins: u64,
    /// Security objects.
    pub sobjects: u64,
}

/// Query of `GET /sys/v1/accounts[/{id}]`: `with_totals`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAccountParams {
    /// Include [`ObjectCounts`].
    #[serde(
        default,
        deserialize_with = "deserialize_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub with_totals: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Account {
        Account {
            acct_id: Uuid::from_u128(1),
            name: "acme".into(),
            enabled: true,
            subscription: SubscriptionType::OnPrem,
            logging_configs: BTreeMap::new(),
            description: None,
            organization: None,
            country: None,
            phone: None,
            notification_pref: None,
            auth_config: None,
            created_at: None,
            initial_purchase_at: None,
            custom_metadata: None,
            approval_policy: None,
            parent_acct_id: None,
            totals: None,
            state: None,
            auth_type: None,
        }
    }

    #[test]
    fn minimal_account_carries_the_rs_required_fields() {
        let json = serde_json::to_value(minimal()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "acct_id": Uuid::from_u128(1).to_string(), "name": "acme", "enabled": true,
                "subscription": "on_prem", "logging_configs": {}
            })
        );
    }

    #[test]
    fn subscriptions_are_externally_tagged() {
        let trial: SubscriptionType =
            serde_json::from_str(r#"{"trial":{"expires_at":"20300101T000000Z"}}"#).unwrap();
        assert!(matches!(
            trial,
            SubscriptionType::Trial {
                expires_at: Some(_)
            }
        ));
        let custom: SubscriptionType =
            serde_json::from_str(r#"{"custom":{"max_plugin":null}}"#).unwrap();
        assert_eq!(
            custom,
            SubscriptionType::Custom {
                max_plugin: None,
                max_operation: None
            }
        );
    }

    #[test]
    fn account_request_treats_nulls_as_absent_and_ignores_strays() {
        let req: AccountRequest = serde_json::from_str(
            r#"{"name":"acme","description":null,"enabled":null,"add_ldap":null,"plugin_enabled":true}"#,
        )
        .unwrap();
        assert_eq!(
            req,
            AccountRequest {
                name: Some("acme".into()),
                ..AccountRequest::default()
            }
        );
    }
}
