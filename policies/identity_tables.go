package policies

import portal "github.com/openportal/portal"

// Tables of the identity part that permissions govern.
const (
	TableInvitation = "invitation"
	TableAuditLog   = "audit_log"
)

func init() {
	// Administrators manage invitations and read the audit log.
	defaults[portal.RoleAdministrators][TableInvitation] = []grant{{"GLOBAL", allPrivileges}}
	defaults[portal.RoleAdministrators][TableAuditLog] = []grant{{"GLOBAL", []Privilege{Read}}}
}
