//! A small world of accounts, groups, users and apps for the administrative use cases'
//! tests, built through `State::apply` like the real thing.

use crate::caller::{Caller, Principal};
use coffer_core::{
    Account, AccountId, AccountRole, App, AppId, AppPermission, Command, Creator, Group, GroupId,
    GroupRole, Membership, Sealed, State, UnixTime, User, UserId,
};
use std::collections::BTreeMap;

/// The account the callers work in.
pub(crate) const ACCOUNT: AccountId = AccountId::from_u128(1);
/// Another account.
pub(crate) const OTHER: AccountId = AccountId::from_u128(2);

/// State under construction.
pub(crate) struct World {
    pub state: State,
}

impl World {
    /// Two empty accounts.
    pub(crate) fn new() -> Self {
        let mut world = Self {
            state: State::default(),
        };
        for account in [ACCOUNT, OTHER] {
            world.apply(Command::CreateAccount(Account::new(
                account,
                format!("account {account}"),
                UnixTime(0),
            )));
        }
        world
    }

    /// Applies a command that must succeed.
    pub(crate) fn apply(&mut self, command: Command) {
        assert_eq!(self.state.apply(&command).outcome, Ok(()), "{command:?}");
    }

    /// A group in `account`.
    pub(crate) fn group(&mut self, id: u128, account: AccountId) -> GroupId {
        let id = GroupId::from_u128(id);
        self.apply(Command::CreateGroup(Group {
            id,
            account,
            name: format!("group {id}"),
            description: None,
            created_at: UnixTime(0),
            creator: Creator::User(UserId::from_u128(0)),
        }));
        id
    }

    /// A user; a member of [`ACCOUNT`] with these roles and groups unless `roles` is empty.
    pub(crate) fn user(
        &mut self,
        id: u128,
        roles: &[AccountRole],
        groups: &[(GroupId, GroupRole)],
    ) -> UserId {
        let id = UserId::from_u128(id);
        let membership = Membership {
            roles: roles.iter().copied().collect(),
            groups: groups.iter().copied().collect(),
        };
        self.apply(Command::CreateUser(User {
            id,
            email: format!("user{}@example.com", id.uuid().as_u128()),
            password_hash: String::new(),
            sysadmin: false,
            first_name: None,
            last_name: None,
            description: None,
            created_at: UnixTime(0),
            memberships: if roles.is_empty() {
                BTreeMap::new()
            } else {
                BTreeMap::from([(ACCOUNT, membership)])
            },
            credential_generation: 0,
        }));
        id
    }

    /// An app of `account` with every permission in `groups`.
    pub(crate) fn app(&mut self, id: u128, account: AccountId, groups: &[GroupId]) -> AppId {
        let id = AppId::from_u128(id);
        self.apply(Command::CreateApp(App {
            id,
            account,
            name: format!("app {id}"),
            description: None,
            app_type: "default".into(),
            created_at: UnixTime(0),
            creator: Creator::User(UserId::from_u128(0)),
            enabled: true,
            groups: groups
                .iter()
                .map(|g| (*g, AppPermission::ALL.into_iter().collect()))
                .collect(),
            default_group: groups.first().copied(),
            secret: Sealed(Vec::new()),
            secret_digest: Vec::new(),
            client_certificate: None,
            credential_generation: 0,
        }));
        id
    }
}

/// A user session working in [`ACCOUNT`].
pub(crate) fn user_caller(user: UserId) -> Caller {
    Caller {
        principal: Principal::User(user),
        account: Some(ACCOUNT),
        sysadmin: false,
        session: None,
    }
}

/// A sysadmin session working in [`ACCOUNT`].
pub(crate) fn sysadmin_caller(user: UserId) -> Caller {
    Caller {
        sysadmin: true,
        ..user_caller(user)
    }
}

/// An app of [`ACCOUNT`].
pub(crate) fn app_caller(app: AppId) -> Caller {
    Caller {
        principal: Principal::App(app),
        account: Some(ACCOUNT),
        sysadmin: false,
        session: None,
    }
}
