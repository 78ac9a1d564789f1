DELETE FROM contact WHERE id = '00000000-0000-4000-8000-00000000e4b0';
DROP TABLE inbox_event;
DROP INDEX outbox_event_page_idx;
DROP INDEX outbox_event_undelivered_idx;
DROP INDEX outbox_event_seq_key;
ALTER TABLE outbox_event
    DROP COLUMN seq, DROP COLUMN after_id, DROP COLUMN job_id,
    DROP COLUMN last_status, DROP COLUMN last_answer, DROP COLUMN last_attempt_at;
