DROP TABLE policy_version;
DROP TABLE table_permission_role;
DROP TABLE table_permission;
