-- Announce every change that makes a cached session or viewer stale, on
-- channel portal_viewer, so each Portal instance drops it from its session
-- cache (identity.SessionCache) before the next request. Payload:
-- 'c:<contact id>' for one contact's sessions and viewer, 'a:<account id>'
-- for the viewers of an account's contacts, '*' for all. Triggers, not
-- application code, so no path that changes these rows can forget it.
-- NOTIFY is delivered at commit and not at all on rollback.
CREATE FUNCTION portal_viewer_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify('portal_viewer', '*');
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'contact' THEN
        PERFORM pg_notify('portal_viewer', 'c:' || r.id);
    ELSIF TG_TABLE_NAME IN ('session', 'contact_web_role') THEN
        PERFORM pg_notify('portal_viewer', 'c:' || r.contact_id);
        IF TG_OP = 'UPDATE' AND OLD.contact_id <> NEW.contact_id THEN
            PERFORM pg_notify('portal_viewer', 'c:' || OLD.contact_id);
        END IF;
    ELSIF TG_TABLE_NAME = 'customer_account' THEN
        PERFORM pg_notify('portal_viewer', 'a:' || r.id);
    END IF;
    RETURN NULL;
END $$;

-- Sign-out and revocation delete sessions; last_seen_at is written every
-- minute per session and changes nothing cached, so it does not notify.
CREATE TRIGGER session_viewer_notify AFTER DELETE OR UPDATE OF token_hash, contact_id, expires_at ON session
    FOR EACH ROW EXECUTE FUNCTION portal_viewer_notify();
CREATE TRIGGER contact_viewer_notify AFTER DELETE OR UPDATE OF disabled, legal_entity_id, customer_account_id, price_list_id ON contact
    FOR EACH ROW EXECUTE FUNCTION portal_viewer_notify();
CREATE TRIGGER contact_web_role_viewer_notify AFTER INSERT OR DELETE OR UPDATE ON contact_web_role
    FOR EACH ROW EXECUTE FUNCTION portal_viewer_notify();
CREATE TRIGGER customer_account_viewer_notify AFTER UPDATE OF price_list_id ON customer_account
    FOR EACH ROW EXECUTE FUNCTION portal_viewer_notify();
CREATE TRIGGER web_role_viewer_notify AFTER DELETE OR UPDATE OF key ON web_role
    FOR EACH STATEMENT EXECUTE FUNCTION portal_viewer_notify();
