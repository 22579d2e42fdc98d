-- Validates what an operator writes with clear messages (the table's CHECKs
-- are the backstop). It fires only when a validated column is written, so the
-- claim's and record's own updates of the row do not pay for it.
CREATE OR REPLACE FUNCTION webhooks.tg_subscriptions__validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    problem text;
    bad_header text;
BEGIN
    problem := webhooks.url_error(NEW.url);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, COLUMN = 'url';
    END IF;

    IF NEW.event_types IS NULL OR cardinality(NEW.event_types) = 0 THEN
        RAISE EXCEPTION 'event_types must list at least one pattern'
            USING ERRCODE = 'check_violation', HINT = 'e.g. ARRAY[''order.created'', ''invoice.*'', ''order.>'']';
    END IF;
    SELECT webhooks.pattern_error(p) INTO problem
      FROM unnest(NEW.event_types) p WHERE webhooks.pattern_error(p) IS NOT NULL LIMIT 1;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation', COLUMN = 'event_types';
    END IF;

    IF TG_OP = 'INSERT' OR NEW.secret IS DISTINCT FROM OLD.secret THEN
        problem := webhooks.secret_error(NEW.secret);
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation', COLUMN = 'secret';
        END IF;
    END IF;

    IF NEW.headers IS NULL OR jsonb_typeof(NEW.headers) <> 'object' THEN
        RAISE EXCEPTION 'headers must be a JSON object of strings' USING ERRCODE = 'check_violation';
    END IF;
    SELECT k INTO bad_header FROM jsonb_each(NEW.headers) AS h(k, v) WHERE jsonb_typeof(v) <> 'string' LIMIT 1;
    IF bad_header IS NOT NULL THEN
        RAISE EXCEPTION 'header "%" must be a string', bad_header USING ERRCODE = 'check_violation';
    END IF;
    SELECT k INTO bad_header FROM jsonb_object_keys(NEW.headers) k
     WHERE lower(k) IN ('webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'content-length', 'host')
        OR k !~ '^[A-Za-z0-9!#$%&''*+.^_`|~-]+$'
     LIMIT 1;
    IF bad_header IS NOT NULL THEN
        RAISE EXCEPTION 'header "%" may not be set: it is reserved or not a valid header name', bad_header
            USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT FROM jsonb_each_text(NEW.headers) h(k, v) WHERE v ~ '[\r\n]') THEN
        RAISE EXCEPTION 'header values may not contain line breaks' USING ERRCODE = 'check_violation';
    END IF;

    IF EXISTS (SELECT FROM unnest(NEW.retry_schedule) d WHERE d IS NULL OR d < '0') THEN
        RAISE EXCEPTION 'retry_schedule may hold only non-negative intervals' USING ERRCODE = 'check_violation';
    END IF;

    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER _100_validate
    BEFORE INSERT OR UPDATE OF url, event_types, secret, headers, retry_schedule ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__validate();
