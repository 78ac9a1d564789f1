-- Back to numbering by UPDATE: next_value goes on from each sequence.
DROP FUNCTION next_order_number(uuid);
DROP TRIGGER legal_entity_numbering ON legal_entity;
DROP FUNCTION legal_entity_numbering();
DROP TRIGGER order_number_sequence_moved ON order_number_sequence;
DROP FUNCTION order_number_sequence_moved();
DO $$
DECLARE
    r record;
    n bigint;
    called boolean;
BEGIN
    FOR r IN SELECT legal_entity_id FROM order_number_sequence LOOP
        EXECUTE format('SELECT last_value, is_called FROM %I', order_number_sequence_name(r.legal_entity_id)) INTO n, called;
        UPDATE order_number_sequence SET next_value = CASE WHEN called THEN n + 1 ELSE n END
            WHERE legal_entity_id = r.legal_entity_id;
        EXECUTE format('DROP SEQUENCE %I', order_number_sequence_name(r.legal_entity_id));
    END LOOP;
END $$;
DROP FUNCTION order_number_sequence_name(uuid);
