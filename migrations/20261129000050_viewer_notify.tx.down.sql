DROP TRIGGER web_role_viewer_notify ON web_role;
DROP TRIGGER customer_account_viewer_notify ON customer_account;
DROP TRIGGER contact_web_role_viewer_notify ON contact_web_role;
DROP TRIGGER contact_viewer_notify ON contact;
DROP TRIGGER session_viewer_notify ON session;
DROP FUNCTION portal_viewer_notify();
