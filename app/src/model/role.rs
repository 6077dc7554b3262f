//! Staff roles and what each may do. Every server function and endpoint asks
//! `role.allows(Permission::…)`; the table lives here, once.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Marketer,
    Viewer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read contacts, dashboards and lists.
    ViewContacts,
    /// Create and edit contacts, subscriptions and campaigns.
    EditContacts,
    /// Staff accounts.
    ManageUsers,
    /// Settings and partners.
    ManageSettings,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Marketer, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Marketer => "marketer",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Marketer => "Marketer",
            Role::Viewer => "Viewer",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Marketer => matches!(permission, ViewContacts | EditContacts),
            Role::Viewer => matches!(permission, ViewContacts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_exactly_its_permissions() {
        use Permission::*;
        let table = [
            (Role::Admin, [true, true, true, true]),
            (Role::Marketer, [true, true, false, false]),
            (Role::Viewer, [true, false, false, false]),
        ];
        for (role, expected) in table {
            let got = [ViewContacts, EditContacts, ManageUsers, ManageSettings].map(|p| role.allows(p));
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
