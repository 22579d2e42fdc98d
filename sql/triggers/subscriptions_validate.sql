-- Validates every column an operator writes, with messages that name the
-- field, say what is wrong and what is allowed (issue 11), and raises before
-- any table constraint can: a CHECK or NOT NULL failure would print
-- "Failing row contains (..., whsec_..., {"authorization": ...})" to the
-- client and the server log, and no error of ours may carry a secret or a
-- header value (contract §9). Messages never repeat the secret, a header
-- value or a URL's credentials.
-- On UPDATE only the columns that change are checked, so a row written
-- under older, looser rules keeps working until someone changes that value.
-- The UPDATE trigger lists the operator's columns and every NOT NULL column
-- (tests/pgtap/subscriptions/no_secret_in_errors.sql fails if a NOT NULL
-- column is missing), so the claim's and record's own writes of internal
-- state (last_claimed_at, probe_*) do not pay for it.
-- Cost: bench/subscription-writes/run (2,000-row UPDATE, median of 5,
-- 2026-11-23, shared 2-core box, while other benchmarks ran):
--   SET last_claimed_at = now() (claim's write):        0.1.0 33 ms, 0.2.0 15 ms
--   SET consecutive_failures = ... + 1 (record's):      0.1.0 34 ms, 0.2.0 24 ms
--   SET timeout = '5s' (an operator's):                 0.1.0 35 ms, 0.2.0 27 ms
-- 0.1.0's CHECKs ran url_error and the plpgsql secret_error on every row
-- update, the claim's included; 0.2.0 has no such CHECK.
-- Bounds, one place: name 1-200 characters; retry_schedule at most 50
-- delays, each 0 to 7 days; timeout 1 ms to 5 min (delivery-rules.json
-- timeout_max_ms); max_in_flight 1-100000; circuit_threshold 1-1000000;
-- url and headers: webhooks.url_error, webhooks.header_error.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    ins constant boolean := TG_OP = 'INSERT';
    col text;
    problem text;
    hint text;
    code text := 'check_violation';
    pos int;
BEGIN
    -- NOT NULL first, for every NOT NULL column: the engine's own not-null
    -- error would print the whole row. Spelled out rather than looked up in
    -- pg_attribute per row (that cost ~40 µs a row, 5x the whole trigger);
    -- tests/pgtap/subscriptions/no_secret_in_errors.sql walks the catalog
    -- and fails for a NOT NULL column missing here.
    col := CASE WHEN NEW.name IS NULL THEN 'name'
                WHEN NEW.url IS NULL THEN 'url'
                WHEN NEW.event_types IS NULL THEN 'event_types'
                WHEN NEW.secret IS NULL THEN 'secret'
                WHEN NEW.enabled IS NULL THEN 'enabled'
                WHEN NEW.consecutive_failures IS NULL THEN 'consecutive_failures'
                WHEN NEW.retry_schedule IS NULL THEN 'retry_schedule'
                WHEN NEW.timeout IS NULL THEN 'timeout'
                WHEN NEW.max_in_flight IS NULL THEN 'max_in_flight'
                WHEN NEW.circuit_threshold IS NULL THEN 'circuit_threshold'
                WHEN NEW.headers IS NULL THEN 'headers'
                WHEN NEW.created_at IS NULL THEN 'created_at'
                WHEN NEW.updated_at IS NULL THEN 'updated_at' END;
    IF col IS NOT NULL THEN
        RAISE EXCEPTION '% may not be NULL', col
            USING ERRCODE = 'not_null_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col,
                  HINT = CASE col
                      WHEN 'secret' THEN 'leave secret out of the INSERT to get a generated one; webhooks.rotate_secret(name) makes a new one'
                      WHEN 'event_types' THEN 'list at least one pattern, e.g. ARRAY[''order.created'', ''invoice.*'', ''order.>'']'
                      WHEN 'retry_schedule' THEN 'use ''{}'' for no retries, or leave it out for the default'
                      WHEN 'headers' THEN 'use ''{}'' for no extra headers'
                      WHEN 'enabled' THEN 'true (active) or false (paused)'
                      ELSE 'leave it out to get its default' END;
    END IF;

    IF ins OR NEW.name IS DISTINCT FROM OLD.name THEN
        col := 'name';
        IF btrim(NEW.name) = '' THEN
            problem := 'name may not be blank';
            hint := 'give the subscription a handle such as ''billing''';
        ELSIF length(NEW.name) > 200 THEN
            problem := format('name is %s characters long; at most 200 are allowed', length(NEW.name));
        ELSIF NEW.name ~ '[\x01-\x1f\x7f]' THEN
            problem := 'name may not contain control characters (line breaks, tabs)';
        ELSIF EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.name = NEW.name AND s.id <> NEW.id) THEN
            problem := format('a subscription named "%s" already exists', NEW.name);
            hint := 'choose another name, or UPDATE the existing subscription';
            code := 'unique_violation';
        END IF;
    END IF;

    IF problem IS NULL AND (ins OR NEW.url IS DISTINCT FROM OLD.url) THEN
        col := 'url';
        problem := webhooks.url_error(NEW.url);
    END IF;

    IF problem IS NULL AND (ins OR NEW.event_types IS DISTINCT FROM OLD.event_types) THEN
        col := 'event_types';
        IF cardinality(NEW.event_types) = 0 THEN
            problem := 'event_types must list at least one pattern';
            hint := 'e.g. ARRAY[''order.created'', ''invoice.*'', ''order.>'']';
        ELSIF array_ndims(NEW.event_types) > 1 THEN
            problem := 'event_types must be a one-dimensional list of patterns';
        ELSE
            SELECT webhooks.pattern_error(p) INTO problem
              FROM unnest(NEW.event_types) p WHERE webhooks.pattern_error(p) IS NOT NULL LIMIT 1;
        END IF;
    END IF;

    IF problem IS NULL AND (ins OR NEW.secret IS DISTINCT FROM OLD.secret) THEN
        col := 'secret';
        problem := webhooks.secret_error(NEW.secret);
        hint := CASE WHEN problem IS NOT NULL THEN 'leave secret out to get a generated one' END;
    END IF;

    IF problem IS NULL AND (ins OR NEW.headers IS DISTINCT FROM OLD.headers) THEN
        col := 'headers';
        problem := webhooks.header_error(NEW.headers);
    END IF;

    IF problem IS NULL AND (ins OR NEW.retry_schedule IS DISTINCT FROM OLD.retry_schedule) THEN
        col := 'retry_schedule';
        IF array_ndims(NEW.retry_schedule) > 1 OR array_lower(NEW.retry_schedule, 1) <> 1 THEN
            problem := 'retry_schedule must be a plain list of delays, such as ''{5s,5min,30min}''';
        ELSIF cardinality(NEW.retry_schedule) > 50 THEN
            problem := format('retry_schedule has %s delays; at most 50 are allowed (51 attempts in all)',
                              cardinality(NEW.retry_schedule));
        ELSE
            SELECT i INTO pos FROM generate_subscripts(NEW.retry_schedule, 1) i
             WHERE NEW.retry_schedule[i] IS NULL OR NEW.retry_schedule[i] < interval '0'
                OR NEW.retry_schedule[i] > interval '7 days'
             ORDER BY i LIMIT 1;
            IF pos IS NOT NULL THEN
                problem := format('retry_schedule[%s] is %s; each delay must be between 0 and 7 days',
                                  pos, coalesce(NEW.retry_schedule[pos]::text, 'NULL'));
            END IF;
        END IF;
        hint := CASE WHEN problem IS NOT NULL THEN 'the delays before attempts 2, 3, ...; default {5s,5min,30min,2h,5h,10h,10h}' END;
    END IF;

    IF problem IS NULL AND (ins OR NEW.timeout IS DISTINCT FROM OLD.timeout)
       AND NOT NEW.timeout BETWEEN interval '1 millisecond' AND interval '5 minutes' THEN
        col := 'timeout';
        problem := format('timeout %s is out of range: it must be between 1 millisecond and 5 minutes', NEW.timeout);
    END IF;

    IF problem IS NULL AND (ins OR NEW.max_in_flight IS DISTINCT FROM OLD.max_in_flight)
       AND NOT NEW.max_in_flight BETWEEN 1 AND 100000 THEN
        col := 'max_in_flight';
        problem := format('max_in_flight %s is out of range: it must be between 1 and 100000 concurrent requests', NEW.max_in_flight);
    END IF;

    IF problem IS NULL AND (ins OR NEW.circuit_threshold IS DISTINCT FROM OLD.circuit_threshold)
       AND NOT NEW.circuit_threshold BETWEEN 1 AND 1000000 THEN
        col := 'circuit_threshold';
        problem := format('circuit_threshold %s is out of range: it must be between 1 and 1000000 consecutive failures', NEW.circuit_threshold);
    END IF;

    IF problem IS NULL AND NEW.consecutive_failures < 0 THEN
        col := 'consecutive_failures';
        problem := format('consecutive_failures %s is out of range: it must be 0 or more', NEW.consecutive_failures);
    END IF;

    IF problem IS NOT NULL AND hint IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = code, SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col, HINT = hint;
    ELSIF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem
            USING ERRCODE = code, SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = col;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION webhooks.tg_subscriptions__validate() IS
    'validates what is written to webhooks.subscriptions with messages that name the field and the allowed range, before any constraint could print the row';

CREATE OR REPLACE TRIGGER _100_validate
    BEFORE INSERT ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__validate();

CREATE OR REPLACE TRIGGER _101_validate_update
    BEFORE UPDATE OF name, url, event_types, secret, enabled, consecutive_failures, retry_schedule, timeout,
                     max_in_flight, circuit_threshold, headers, created_at, updated_at
    ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__validate();
