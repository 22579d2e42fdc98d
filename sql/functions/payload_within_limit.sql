-- The payload limit (contract §5, §9): a payload whose JSON text is larger than
-- webhooks.max_payload_bytes is refused with an error giving both sizes;
-- otherwise true, so that set-based inserts can use it in a WHERE clause.
-- The limit lives in webhooks.settings, which only an admin writes; a session
-- SET webhooks.max_payload_bytes changes nothing. Callers compute the size
-- and call this only above 1024 bytes (the smallest limit allowed), so the
-- common small event pays no lookup. Internal, like webhooks.store_event:
-- called as the owner by functions that pin search_path, so no SET clause.
CREATE OR REPLACE FUNCTION webhooks.payload_within_limit(payload_bytes bigint)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    max_bytes bigint := coalesce((SELECT s.value FROM webhooks.settings s WHERE s.name = 'webhooks.max_payload_bytes'), 1048576);
BEGIN
    IF payload_bytes > max_bytes THEN
        RAISE EXCEPTION 'payload of % bytes exceeds the limit of % bytes (webhooks.max_payload_bytes)', payload_bytes, max_bytes
            USING ERRCODE = 'program_limit_exceeded',
                  HINT = 'an admin sets the limit in webhooks.settings (at most 16777216 bytes)';
    END IF;
    RETURN true;
END
$$;

COMMENT ON FUNCTION webhooks.payload_within_limit(bigint) IS
    'internal: true, or an error naming both sizes for a payload larger than webhooks.max_payload_bytes (webhooks.settings)';

/* internal to the publishing paths, which run as the extension's owner */
REVOKE ALL ON FUNCTION webhooks.payload_within_limit(bigint) FROM PUBLIC;
