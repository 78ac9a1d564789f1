DROP TABLE outbox_event, audit_log, sign_in_failure, session, invitation_role, invitation;
