-- Order numbers come from a PostgreSQL sequence per company instead of an
-- UPDATE of the company's order_number_sequence row. That UPDATE held the
-- row locked from the statement that numbered an order to the commit, a
-- network round trip later, so every order of a company was placed one at a
-- time (issue 9: at most ~600 orders/s on 2 cores whatever the cores did,
-- and the row's thousands of dead versions a second to wade through). A
-- sequence hands out numbers without a lock held to the commit. What it
-- costs: a transaction that takes a number and then rolls back leaves a gap
-- (the numbers stay unique and increasing), as a "non-continuous" number
-- sequence does in Dynamics 365, the usual setting for sales orders. Order
-- entry takes the number in its last statement, after every check, so a gap
-- takes a failure after validation (a lost connection, a crash).
--
-- order_number_sequence keeps each company's prefix, and next_value is now
-- where numbering starts or restarts: setting it (INSERT or UPDATE) moves
-- the company's sequence; it is not advanced by numbering. Every company has
-- its row and sequence from its creation (trigger below), so numbering never
-- creates anything.

CREATE FUNCTION order_number_sequence_name(company uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 'order_number_' || replace(company::text, '-', '');

CREATE FUNCTION order_number_sequence_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- IF NOT EXISTS: a sequence left by a row removed by hand is
        -- taken over, and set where the new row says.
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I AS bigint MINVALUE 1',
            order_number_sequence_name(NEW.legal_entity_id));
        PERFORM setval(order_number_sequence_name(NEW.legal_entity_id)::regclass, NEW.next_value, false);
    ELSIF NEW.next_value IS DISTINCT FROM OLD.next_value THEN
        PERFORM setval(order_number_sequence_name(NEW.legal_entity_id)::regclass, NEW.next_value, false);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER order_number_sequence_moved AFTER INSERT OR UPDATE OF next_value ON order_number_sequence
    FOR EACH ROW EXECUTE FUNCTION order_number_sequence_moved();

CREATE FUNCTION legal_entity_numbering() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO order_number_sequence (legal_entity_id) VALUES (NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER legal_entity_numbering AFTER INSERT ON legal_entity
    FOR EACH ROW EXECUTE FUNCTION legal_entity_numbering();

-- Companies that numbered orders already go on from where they were; the
-- others start at 1.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT legal_entity_id, next_value FROM order_number_sequence LOOP
        EXECUTE format('CREATE SEQUENCE %I AS bigint MINVALUE 1 START %s',
            order_number_sequence_name(r.legal_entity_id), r.next_value);
    END LOOP;
END $$;
INSERT INTO order_number_sequence (legal_entity_id)
    SELECT id FROM legal_entity WHERE id NOT IN (SELECT legal_entity_id FROM order_number_sequence);

-- next_order_number takes company's next order number: its prefix and at
-- least six digits.
CREATE FUNCTION next_order_number(company uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    p text;
    n bigint;
BEGIN
    SELECT s.prefix INTO p FROM order_number_sequence s WHERE s.legal_entity_id = company;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'company % has no order number sequence', company;
    END IF;
    n := nextval(order_number_sequence_name(company)::regclass);
    RETURN p || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END;
END $$;
