-- pg_webhooks 0.1.0: generated from sql/ by make; do not edit

-- sql/roles/roles.sql
-- The three roles of contract §2. Roles are cluster-wide, so create them only
-- where missing: a second database or a reinstall must not fail.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_publisher') THEN
        CREATE ROLE webhooks_publisher NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_worker') THEN
        CREATE ROLE webhooks_worker NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'webhooks_admin') THEN
        CREATE ROLE webhooks_admin NOLOGIN;
    END IF;
END
$roles$;

-- sql/schema/schema.sql
-- The schema belongs to the extension (the control file names none, so the
-- script makes it and DROP EXTENSION removes it); the plain psql -f install
-- makes it the same way.
CREATE SCHEMA webhooks;
COMMENT ON SCHEMA webhooks IS 'pg_webhooks: transactional webhooks';
/* nobody but the roles below may see into the schema */
REVOKE ALL ON SCHEMA webhooks FROM PUBLIC;
GRANT USAGE ON SCHEMA webhooks TO webhooks_publisher, webhooks_worker, webhooks_admin;

-- sql/functions/is_valid_event_type_name.sql
-- Lower-case dot-separated segments of [a-z0-9_-]+, at most 128 characters (contract §3).
CREATE FUNCTION webhooks.is_valid_event_type_name(name text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN length(name) <= 128 AND name ~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)*$';

COMMENT ON FUNCTION webhooks.is_valid_event_type_name(text) IS
    'true when name is a valid event type: lower-case dot-separated segments of [a-z0-9_-], at most 128 characters';

-- sql/functions/pattern_error.sql
-- Why a subscription pattern is invalid, or NULL when it is valid.
-- A pattern is dot-separated segments, each a literal [a-z0-9_-]+ or '*'
-- (exactly one segment), with '>' allowed as the last segment (one or more
-- segments). A pattern that can never match a valid name is invalid too.
CREATE FUNCTION webhooks.pattern_error(pattern text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN pattern IS NULL OR pattern = '' THEN 'a pattern may not be empty'
    WHEN pattern !~ '^(([a-z0-9_-]+|\*)\.)*([a-z0-9_-]+|\*|>)$' THEN
        format('pattern "%s" is invalid: use dot-separated segments of [a-z0-9_-], "*" for one segment, ">" as the last segment for one or more', pattern)
    -- the shortest name it matches: every wildcard stands for one character
    WHEN length(translate(pattern, '*>', 'xx')) > 128 THEN
        format('pattern "%s" can never match: event type names are at most 128 characters', pattern)
END;

COMMENT ON FUNCTION webhooks.pattern_error(text) IS
    'NULL when the subscription pattern is valid, else a message saying why not';

-- sql/functions/pattern_matches.sql
-- Whether a valid pattern matches an event type name. Patterns hold only
-- [a-z0-9_-.*>], so the translation to a regular expression needs no escaping
-- beyond the dots.
CREATE FUNCTION webhooks.pattern_matches(pattern text, event_type text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN event_type ~ (
    '^' ||
    replace(replace(replace(pattern, '.', '\.'),
                    '*', '[a-z0-9_-]+'),
            '>', '[a-z0-9_-]+(\.[a-z0-9_-]+)*') ||
    '$');

COMMENT ON FUNCTION webhooks.pattern_matches(text, text) IS
    'true when the subscription pattern (exact, "*" one segment, ">" one or more trailing segments) matches the event type';

-- sql/functions/url_error.sql
-- Why a subscription URL is unacceptable, or NULL: only absolute http(s)
-- URLs with a host, no white space.
CREATE FUNCTION webhooks.url_error(url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
RETURN CASE
    WHEN url IS NULL OR url = '' THEN 'url may not be empty'
    WHEN url !~* '^https?://' THEN
        format('url "%s" is invalid: only http:// and https:// URLs are accepted', url)
    WHEN url ~ '\s' THEN format('url "%s" is invalid: it contains white space', url)
    WHEN url !~* '^https?://([^/?#@]+@)?(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?([/?#].*)?$' THEN
        format('url "%s" is invalid: it needs a host name or address', url)
END;

COMMENT ON FUNCTION webhooks.url_error(text) IS
    'NULL when url is an absolute http:// or https:// URL with a host, else a message saying why not';

-- sql/functions/secret_error.sql
-- Why a supplied signing secret is unacceptable, or NULL: whsec_ followed by
-- the base64 of 24 to 64 bytes (contract §4).
CREATE FUNCTION webhooks.secret_error(secret text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    key_bytes int;
BEGIN
    IF secret IS NULL OR left(secret, 6) <> 'whsec_' THEN
        RETURN 'secret must start with "whsec_" followed by base64 of 24 to 64 random bytes';
    END IF;
    IF substr(secret, 7) !~ '^[A-Za-z0-9+/]+={0,2}$' THEN
        RETURN 'secret is not valid base64 after "whsec_"';
    END IF;
    BEGIN
        key_bytes := length(decode(substr(secret, 7), 'base64'));
    EXCEPTION WHEN invalid_parameter_value THEN
        RETURN 'secret is not valid base64 after "whsec_"';
    END;
    IF key_bytes NOT BETWEEN 24 AND 64 THEN
        RETURN format('secret decodes to %s bytes; it must be 24 to 64', key_bytes);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION webhooks.secret_error(text) IS
    'NULL when secret is whsec_ + base64 of 24..64 bytes, else a message saying why not';

-- sql/functions/generate_secret.sql
-- A fresh signing secret: whsec_ + base64 of 32 random bytes.
-- pgcrypto may live in any schema (CREATE EXTENSION ... CASCADE puts it in
-- webhooks, a managed database may have it in public), so find it instead of
-- relying on search_path.
CREATE FUNCTION webhooks.generate_secret()
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    crypto_schema name;
    key bytea;
BEGIN
    SELECT n.nspname INTO crypto_schema
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pgcrypto';
    IF crypto_schema IS NULL THEN
        RAISE EXCEPTION 'pg_webhooks needs the pgcrypto extension to generate secrets'
            USING HINT = 'CREATE EXTENSION pgcrypto;';
    END IF;
    EXECUTE format('SELECT %I.gen_random_bytes(32)', crypto_schema) INTO key;
    RETURN 'whsec_' || encode(key, 'base64');
END
$$;

COMMENT ON FUNCTION webhooks.generate_secret() IS
    'a fresh signing secret: whsec_ + base64 of 32 random bytes (pgcrypto)';

-- sql/schema/event_types.sql
-- The registry of event types (contract §3). Events reference it by foreign key.
CREATE TABLE webhooks.event_types (
    name        text PRIMARY KEY
                CONSTRAINT event_types_name_format CHECK (webhooks.is_valid_event_type_name(name)),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.event_types IS
    'registered event types: lower-case dot-separated segments of [a-z0-9_-], at most 128 characters';

-- sql/schema/subscriptions.sql
-- The operator's interface (contract §4): plain INSERT / UPDATE / DELETE in
-- psql. Triggers validate input with clear messages and enforce re-enable
-- semantics; the CHECKs are the backstop.
CREATE TABLE webhooks.subscriptions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL UNIQUE CONSTRAINT subscriptions_name_not_blank CHECK (btrim(name) <> ''),
    url                  text NOT NULL CONSTRAINT subscriptions_url_valid CHECK (webhooks.url_error(url) IS NULL),
    event_types          text[] NOT NULL CONSTRAINT subscriptions_event_types_not_empty CHECK (cardinality(event_types) > 0),
    secret               text NOT NULL DEFAULT webhooks.generate_secret()
                         CONSTRAINT subscriptions_secret_valid CHECK (webhooks.secret_error(secret) IS NULL),
    enabled              boolean NOT NULL DEFAULT true,
    auto_disabled_at     timestamptz,
    consecutive_failures int NOT NULL DEFAULT 0,
    last_error           text,
    retry_schedule       interval[] NOT NULL DEFAULT '{5s,5min,30min,2h,5h,10h,10h}'
                         CONSTRAINT subscriptions_retry_schedule_valid CHECK (array_position(retry_schedule, NULL) IS NULL),
    timeout              interval NOT NULL DEFAULT '10s'
                         CONSTRAINT subscriptions_timeout_range CHECK (timeout > '0' AND timeout <= '5 min'),
    max_in_flight        int NOT NULL DEFAULT 64 CONSTRAINT subscriptions_max_in_flight_positive CHECK (max_in_flight > 0),
    circuit_threshold    int NOT NULL DEFAULT 5 CONSTRAINT subscriptions_circuit_threshold_positive CHECK (circuit_threshold > 0),
    headers              jsonb NOT NULL DEFAULT '{}',
    -- internal state, not part of the contract
    previous_secret            text,  -- still signs until previous_secret_expires_at (rotate_secret)
    previous_secret_expires_at timestamptz,
    probe_at             timestamptz, -- a tripped circuit may be probed from then on
    probe_cooldown       interval,    -- current cool-down; doubles on each failed probe
    probe_message_id     bigint,      -- the message claimed as the current probe of a tripped circuit
    last_claimed_at      timestamptz, -- last claim of its messages; every claim writes the row (see webhooks.claim)
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE webhooks.subscriptions IS
    'webhook subscribers; administer with plain SQL (INSERT ... RETURNING secret to copy the generated secret)';
COMMENT ON COLUMN webhooks.subscriptions.event_types IS
    'patterns: exact name, "*" for one segment, ">" as last segment for one or more';
COMMENT ON COLUMN webhooks.subscriptions.enabled IS
    'false = paused by the operator (auto_disabled_at NULL) or tripped by the circuit; setting it true clears the failure state';
COMMENT ON COLUMN webhooks.subscriptions.retry_schedule IS
    'delay before attempt 2, 3, ...; length + 1 = max attempts; each delay jittered by ±20%';
COMMENT ON COLUMN webhooks.subscriptions.max_in_flight IS
    'concurrent requests to this subscription across all workers';
COMMENT ON COLUMN webhooks.subscriptions.headers IS
    'extra request headers, a JSON object of strings; may not set the signature or content-type headers';

-- sql/schema/routes.sql
-- Which subscription receives which registered event type, precomputed from
-- the patterns so that fan-out at publish is one index lookup however many
-- subscriptions do not match. Kept current by triggers on event_types and
-- subscriptions (sql/triggers/).
CREATE TABLE webhooks.routes (
    event_type      text   NOT NULL REFERENCES webhooks.event_types (name) ON DELETE CASCADE,
    subscription_id bigint NOT NULL REFERENCES webhooks.subscriptions (id) ON DELETE CASCADE,
    PRIMARY KEY (event_type, subscription_id)
);
CREATE INDEX routes_subscription_id ON webhooks.routes (subscription_id);

COMMENT ON TABLE webhooks.routes IS
    'derived: (event type, subscription) pairs whose patterns match; maintained by triggers';

-- sql/schema/events.sql
-- What happened: append-only, one row per published event, payload stored
-- once however many subscribers.
CREATE TABLE webhooks.events (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type            text NOT NULL REFERENCES webhooks.event_types (name),
    payload               jsonb NOT NULL,
    idempotency_key       text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    -- operational events are never routed to the subscription they are about
    about_subscription_id bigint,
    CONSTRAINT events_idempotency_key UNIQUE (event_type, idempotency_key)
);
CREATE INDEX events_created_at ON webhooks.events (created_at);

COMMENT ON TABLE webhooks.events IS
    'published events, append-only; INSERT here or call webhooks.publish inside the application transaction';
COMMENT ON COLUMN webhooks.events.idempotency_key IS
    'a key seen before for the same event type publishes nothing new';

-- sql/schema/messages.sql
-- The hot outbox: one row per (event, subscription) still to be sent, or
-- failed and kept for webhooks.replay. Delivered messages are deleted (their
-- story is in webhooks.deliveries), so the table and its indexes stay small.
CREATE TABLE webhooks.messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         uuid   NOT NULL REFERENCES webhooks.events (id) ON DELETE CASCADE,
    subscription_id  bigint NOT NULL REFERENCES webhooks.subscriptions (id) ON DELETE CASCADE,
    state            text   NOT NULL DEFAULT 'pending' CONSTRAINT messages_state CHECK (state IN ('pending', 'failed')),
    attempts         int    NOT NULL DEFAULT 0,  -- attempts made so far
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- The claim walks one subscription's due messages in order. A claim sets
-- next_attempt_at to the lease's expiry, so a leased message leaves the due
-- range and comes back into it by itself if its lease runs out.
CREATE INDEX messages_due ON webhooks.messages (subscription_id, next_attempt_at) WHERE state = 'pending';
-- Leases still running per subscription: max_in_flight is counted here, so an
-- expired lease stops counting without anyone having to clean it up.
CREATE INDEX messages_leased ON webhooks.messages (subscription_id, lease_expires_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX messages_failed ON webhooks.messages (subscription_id) WHERE state = 'failed';
CREATE INDEX messages_event_id ON webhooks.messages (event_id);

-- A queue table lives on deletes: vacuum it early and often.
ALTER TABLE webhooks.messages SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.02
);

COMMENT ON TABLE webhooks.messages IS
    'outbox: messages not yet delivered (pending) or given up on (failed, kept for webhooks.replay)';

-- sql/schema/deliveries.sql
-- The attempt log: one row per HTTP attempt, append-only (sql/triggers/
-- deliveries_append_only.sql); only webhooks.purge removes old history.
CREATE TABLE webhooks.deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid   NOT NULL,
    subscription_id bigint NOT NULL,
    attempt         int    NOT NULL,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    status_code     int,
    duration_ms     int,
    outcome         text   NOT NULL CONSTRAINT deliveries_outcome CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    error           text,
    response        text,  -- first KiB of the response body
    worker_id       text
);
CREATE INDEX deliveries_subscription_attempted_at ON webhooks.deliveries (subscription_id, attempted_at);
CREATE INDEX deliveries_event_id ON webhooks.deliveries (event_id);
CREATE INDEX deliveries_attempted_at ON webhooks.deliveries (attempted_at);

COMMENT ON TABLE webhooks.deliveries IS
    'every delivery attempt: outcome, status code, duration, error, first KiB of the response; append-only';

-- sql/schema/dump_config.sql
-- pg_dump leaves out the rows of an extension's tables unless the extension
-- marks them: without this a backup would keep the schema and lose every
-- subscription, queued message and attempt. The operational event types are
-- made by the install itself, so they are left out of the dump. routes is
-- derived (triggers rebuild it while subscriptions are restored).
-- pg_extension_config_dump exists only inside CREATE EXTENSION; a plain
-- psql -f install has no extension for pg_dump to skip, so nothing to mark.
DO $dump$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_webhooks') THEN
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.event_types', $w$WHERE name NOT LIKE 'webhooks.%'$w$);
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.subscriptions', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.events', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.messages', '');
        PERFORM pg_catalog.pg_extension_config_dump('webhooks.deliveries', '');
        -- identity sequences too, so restored ids do not collide with new ones
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.subscriptions', 'id')::regclass, '');
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.messages', 'id')::regclass, '');
        PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('webhooks.deliveries', 'id')::regclass, '');
    END IF;
END
$dump$;

-- sql/triggers/event_types_route.sql
-- A newly registered event type gets routes to every subscription with a
-- matching pattern (one pass over the subscriptions, at registration time,
-- so that publishing never has to).
CREATE FUNCTION webhooks.tg_event_types__route()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT n.name, s.id
      FROM new_types n
      JOIN webhooks.subscriptions s
        ON EXISTS (SELECT FROM unnest(s.event_types) p WHERE webhooks.pattern_matches(p, n.name))
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER _100_route
    AFTER INSERT ON webhooks.event_types
    REFERENCING NEW TABLE AS new_types
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_event_types__route();

-- sql/triggers/subscriptions_validate.sql
-- Validates what an operator writes with clear messages (the table's CHECKs
-- are the backstop). It fires only when a validated column is written, so the
-- claim's and record's own updates of the row do not pay for it.
CREATE FUNCTION webhooks.tg_subscriptions__validate()
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

CREATE TRIGGER _100_validate
    BEFORE INSERT OR UPDATE OF url, event_types, secret, headers, retry_schedule ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__validate();

-- sql/triggers/subscriptions_reenable.sql
-- "enabled = true" has one meaning whoever writes it (an operator in psql or
-- a successful probe): re-enabling after a trip and resuming after a pause
-- both clear the failure state, and the held messages are due at once.
CREATE FUNCTION webhooks.tg_subscriptions__reenable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    NEW.auto_disabled_at := NULL;
    NEW.consecutive_failures := 0;
    NEW.last_error := NULL;
    NEW.probe_at := NULL;
    NEW.probe_cooldown := NULL;
    PERFORM pg_notify('webhooks', '');
    RETURN NEW;
END
$$;

CREATE TRIGGER _110_reenable
    BEFORE UPDATE OF enabled ON webhooks.subscriptions
    FOR EACH ROW WHEN (NEW.enabled AND NOT OLD.enabled)
    EXECUTE FUNCTION webhooks.tg_subscriptions__reenable();

-- updated_at follows what the operator configures, not the worker's bookkeeping.
CREATE FUNCTION webhooks.tg_subscriptions__touch()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER _120_touch
    BEFORE UPDATE OF name, url, event_types, secret, enabled, retry_schedule, timeout,
                     max_in_flight, circuit_threshold, headers ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__touch();

-- sql/triggers/subscriptions_route.sql
-- Recomputes a subscription's routes when it is created or its patterns change.
CREATE FUNCTION webhooks.tg_subscriptions__route()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM webhooks.routes WHERE subscription_id = NEW.id;
    END IF;
    INSERT INTO webhooks.routes (event_type, subscription_id)
    SELECT t.name, NEW.id
      FROM webhooks.event_types t
     WHERE EXISTS (SELECT FROM unnest(NEW.event_types) p WHERE webhooks.pattern_matches(p, t.name));
    RETURN NULL;
END
$$;

CREATE TRIGGER _200_route
    AFTER INSERT OR UPDATE OF event_types ON webhooks.subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_subscriptions__route();

-- sql/triggers/events_accept.sql
-- Admits an event: its type must be registered (the error names it), its
-- payload within webhooks.max_payload_bytes (the error gives both sizes), and
-- a repeated idempotency key for the same type publishes nothing (the row is
-- skipped; webhooks.publish then returns the first event's id).
CREATE FUNCTION webhooks.tg_events__accept()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    max_bytes bigint := coalesce(nullif(current_setting('webhooks.max_payload_bytes', true), ''), '1048576')::bigint;
    payload_bytes bigint;
BEGIN
    IF NEW.event_type IS NULL THEN
        RAISE EXCEPTION 'event_type may not be NULL' USING ERRCODE = 'not_null_violation';
    END IF;
    IF NOT EXISTS (SELECT FROM webhooks.event_types WHERE name = NEW.event_type) THEN
        RAISE EXCEPTION 'unknown event type "%"', NEW.event_type
            USING ERRCODE = 'foreign_key_violation',
                  HINT = format('register it first: INSERT INTO webhooks.event_types (name) VALUES (%L);', NEW.event_type);
    END IF;
    IF NEW.payload IS NULL THEN
        RAISE EXCEPTION 'payload may not be NULL (use ''{}'' for an empty payload)' USING ERRCODE = 'not_null_violation';
    END IF;
    payload_bytes := octet_length(NEW.payload::text);
    IF payload_bytes > max_bytes THEN
        RAISE EXCEPTION 'payload of % bytes exceeds the limit of % bytes (webhooks.max_payload_bytes)', payload_bytes, max_bytes
            USING ERRCODE = 'program_limit_exceeded';
    END IF;

    IF NEW.idempotency_key IS NOT NULL THEN
        -- Serialise publishers of the same key; READ COMMITTED gives the
        -- check below a fresh snapshot that sees a winner that committed
        -- while we waited. Under REPEATABLE READ the unique constraint
        -- still refuses the duplicate.
        PERFORM pg_advisory_xact_lock(hashtextextended(NEW.event_type || '/' || NEW.idempotency_key, 7270));
        IF EXISTS (SELECT FROM webhooks.events
                    WHERE event_type = NEW.event_type AND idempotency_key = NEW.idempotency_key) THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER _100_accept
    BEFORE INSERT ON webhooks.events
    FOR EACH ROW EXECUTE FUNCTION webhooks.tg_events__accept();

-- sql/triggers/events_fan_out.sql
-- Fan-out at publish: one message per routed subscription, in one set-based
-- statement per INSERT statement, and one NOTIFY per statement that created
-- messages (a per-row NOTIFY would serialise committing publishers).
-- Only events published now are fanned out: a row that arrives with another
-- created_at is history being restored (pg_restore of a backup brings its
-- own messages), and sending it again would repeat old deliveries.
CREATE FUNCTION webhooks.tg_events__fan_out()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    created bigint;
BEGIN
    INSERT INTO webhooks.messages (event_id, subscription_id)
    SELECT e.id, r.subscription_id
      FROM new_events e
      JOIN webhooks.routes r ON r.event_type = e.event_type
     WHERE r.subscription_id IS DISTINCT FROM e.about_subscription_id
       AND e.created_at = now();
    GET DIAGNOSTICS created = ROW_COUNT;
    IF created > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER _200_fan_out
    AFTER INSERT ON webhooks.events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_events__fan_out();

-- sql/triggers/append_only.sql
-- events and deliveries are history: no UPDATE, DELETE or TRUNCATE, not even
-- by their owner. webhooks.purge sets webhooks.purging for its own
-- transaction to remove old history; nothing else does.
CREATE FUNCTION webhooks.tg_refuse_rewrite()
RETURNS trigger
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('webhooks.purging', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'webhooks.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'use webhooks.purge(older_than) to remove old history';
END
$$;

CREATE TRIGGER _100_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhooks.deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_refuse_rewrite();

CREATE TRIGGER _100_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON webhooks.events
    FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_refuse_rewrite();

-- sql/functions/publish.sql
-- Publishes an event inside the caller's transaction: nothing is sent unless
-- it commits. A repeated idempotency key for the same event type returns the
-- first event's id and publishes nothing new.
CREATE FUNCTION webhooks.publish(event_type text, payload jsonb, idempotency_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    event_id uuid;
BEGIN
    INSERT INTO webhooks.events (event_type, payload, idempotency_key)
    VALUES (publish.event_type, publish.payload, publish.idempotency_key)
    RETURNING id INTO event_id;
    IF event_id IS NULL THEN  -- skipped: the key was seen before
        SELECT e.id INTO event_id FROM webhooks.events e
         WHERE e.event_type = publish.event_type AND e.idempotency_key = publish.idempotency_key;
    END IF;
    RETURN event_id;
END
$$;

COMMENT ON FUNCTION webhooks.publish(text, jsonb, text) IS
    'publish an event in the current transaction; returns its id (the first event''s id for a repeated idempotency key)';

/* publishing is the publisher's whole job; nobody else gets it by default */
REVOKE ALL ON FUNCTION webhooks.publish(text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.publish(text, jsonb, text) TO webhooks_publisher, webhooks_admin;

-- sql/functions/watched_table_publish.sql
-- Trigger function installed by webhooks.watch_table on application tables.
-- SECURITY DEFINER: whoever may write the table publishes through it, even a
-- role that holds nothing of the webhooks schema.
-- Payload: {"table": "schema.table", "operation": "INSERT|UPDATE|DELETE",
--           "row": <the row>, "old_row": <previous row, updates only>}.
-- INSERT and DELETE are statement-level (one set-based insert into events per
-- statement); UPDATE is row-level so each new row is paired with its old one.
CREATE FUNCTION webhooks.tg_watched_table__publish()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    prefix text := TG_ARGV[0];
    table_name text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
BEGIN
    IF TG_OP IN ('INSERT', 'DELETE') THEN
        INSERT INTO webhooks.events (event_type, payload)
        SELECT prefix || CASE TG_OP WHEN 'INSERT' THEN '.created' ELSE '.deleted' END,
               jsonb_build_object('table', table_name, 'operation', TG_OP, 'row', to_jsonb(r))
          FROM changed_rows r;
    ELSE
        INSERT INTO webhooks.events (event_type, payload)
        VALUES (prefix || '.updated',
                jsonb_build_object('table', table_name, 'operation', TG_OP,
                                   'row', to_jsonb(NEW), 'old_row', to_jsonb(OLD)));
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION webhooks.tg_watched_table__publish() IS
    'trigger behind webhooks.watch_table: publishes <prefix>.created/.updated/.deleted with the row';

-- sql/functions/watch_table.sql
-- Makes INSERT / UPDATE / DELETE on an application table publish
-- <prefix>.created / .updated / .deleted (prefix defaults to the table's
-- name), registering those event types. Calling it again replaces the
-- triggers (e.g. to change the prefix).
CREATE FUNCTION webhooks.watch_table(tbl regclass, event_prefix text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
SET client_min_messages TO warning  -- replacing missing triggers is no news
AS $$
DECLARE
    prefix text;
    rel_kind "char";
BEGIN
    SELECT c.relkind, coalesce(event_prefix, c.relname) INTO rel_kind, prefix
      FROM pg_catalog.pg_class c WHERE c.oid = tbl;
    IF rel_kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT webhooks.is_valid_event_type_name(prefix || '.created') THEN
        RAISE EXCEPTION 'event prefix "%" is not a valid event type name', prefix
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'pass event_prefix: lower-case dot-separated segments of [a-z0-9_-], e.g. ''shop.order''';
    END IF;

    INSERT INTO webhooks.event_types (name, description)
    SELECT prefix || '.' || verb, format('row %s in %s', verb, tbl)
      FROM unnest(ARRAY['created', 'updated', 'deleted']) verb
    ON CONFLICT (name) DO NOTHING;

    PERFORM webhooks.unwatch_table(tbl);
    EXECUTE format('CREATE TRIGGER _900_webhooks_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS changed_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
    EXECUTE format('CREATE TRIGGER _900_webhooks_update AFTER UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
    EXECUTE format('CREATE TRIGGER _900_webhooks_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS changed_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION webhooks.tg_watched_table__publish(%L)', tbl, prefix);
END
$$;

COMMENT ON FUNCTION webhooks.watch_table(regclass, text) IS
    'publish <prefix>.created/.updated/.deleted for every row written to tbl (prefix defaults to the table name)';

/* creating triggers on application tables is an operator's decision */
REVOKE ALL ON FUNCTION webhooks.watch_table(regclass, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.watch_table(regclass, text) TO webhooks_admin;

-- sql/functions/unwatch_table.sql
-- Removes the triggers webhooks.watch_table installed; the event types stay
-- registered (published events reference them).
CREATE FUNCTION webhooks.unwatch_table(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path TO pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_insert ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_update ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS _900_webhooks_delete ON %s', tbl);
END
$$;

COMMENT ON FUNCTION webhooks.unwatch_table(regclass) IS
    'stop publishing the row changes of tbl (removes the triggers of webhooks.watch_table)';

/* see watch_table */
REVOKE ALL ON FUNCTION webhooks.unwatch_table(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.unwatch_table(regclass) TO webhooks_admin;

-- sql/delivery/operational_event_types.sql
-- The operational event types of contract §7, published by the extension
-- itself (webhooks.record and the subscriptions transition trigger) with
-- about_subscription_id set, so that an alerting endpoint subscribes with
-- plain SQL and a subscription never hears about itself.
INSERT INTO webhooks.event_types (name, description) VALUES
    ('webhooks.subscription.tripped',   'a subscription''s circuit tripped after circuit_threshold consecutive failed attempts; payload: subscription, subscription_id, url, consecutive_failures, last_error, auto_disabled_at, probe_at'),
    ('webhooks.subscription.recovered', 'a tripped subscription is enabled again (a successful probe, or an operator set enabled = true); payload: subscription, subscription_id, url, tripped_at'),
    ('webhooks.message.failed',         'a message ended without delivery (non-retryable answer or retries exhausted); payload: subscription, subscription_id, message_id, event_id, event_type, attempts, status_code, error')
ON CONFLICT (name) DO NOTHING;

-- sql/delivery/subscriptions_publish_transitions.sql
-- Publishes webhooks.subscription.tripped and .recovered (contract §7) when a
-- subscription's circuit changes state, whoever changes it: webhooks.record
-- tripping it or a probe re-enabling it, or an operator's UPDATE ... SET
-- enabled = true. One event per transition; about_subscription_id keeps it
-- from the subscription it is about.
CREATE FUNCTION webhooks.tg_subscriptions__publish_transitions()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    kind text;
    payload jsonb;
BEGIN
    IF OLD.enabled AND NOT NEW.enabled AND NEW.auto_disabled_at IS NOT NULL THEN
        kind := 'webhooks.subscription.tripped';
        payload := jsonb_build_object('subscription', NEW.name, 'subscription_id', NEW.id, 'url', NEW.url,
                                      'consecutive_failures', NEW.consecutive_failures, 'last_error', NEW.last_error,
                                      'auto_disabled_at', NEW.auto_disabled_at, 'probe_at', NEW.probe_at);
    ELSIF NOT OLD.enabled AND OLD.auto_disabled_at IS NOT NULL AND NEW.enabled THEN
        kind := 'webhooks.subscription.recovered';
        payload := jsonb_build_object('subscription', NEW.name, 'subscription_id', NEW.id, 'url', NEW.url,
                                      'tripped_at', OLD.auto_disabled_at);
    ELSE
        RETURN NULL;
    END IF;
    -- an operator who unregistered the type has opted out; never fail the UPDATE for it
    IF EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = kind) THEN
        INSERT INTO webhooks.events (event_type, payload, about_subscription_id) VALUES (kind, payload, NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER _300_publish_transitions
    AFTER UPDATE OF enabled ON webhooks.subscriptions
    FOR EACH ROW WHEN (OLD.enabled IS DISTINCT FROM NEW.enabled)
    EXECUTE FUNCTION webhooks.tg_subscriptions__publish_transitions();

-- sql/delivery/subscription_id.sql
-- The id of the subscription an operator named, or a clear error: the admin
-- functions all take the operator's handle, not the id.
CREATE FUNCTION webhooks.subscription_id(name text)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    found bigint;
BEGIN
    SELECT s.id INTO found FROM webhooks.subscriptions s WHERE s.name = subscription_id.name;
    IF found IS NULL THEN
        RAISE EXCEPTION 'unknown subscription "%"', subscription_id.name
            USING ERRCODE = 'no_data_found',
                  HINT = 'SELECT name FROM webhooks.subscriptions; lists them';
    END IF;
    RETURN found;
END
$$;

COMMENT ON FUNCTION webhooks.subscription_id(text) IS
    'the id of the named subscription; raises an error naming it if there is none';

/* a lookup for the admin functions; operators may use it too */
REVOKE ALL ON FUNCTION webhooks.subscription_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.subscription_id(text) TO webhooks_admin;

-- sql/delivery/claim.sql
-- Leases up to batch_size due messages to a worker and returns everything
-- needed to send them (URL, secrets, headers, exact body, attempt, timeout).
--
-- One statement, two levels (architecture.md, "The claim"):
--  1. subscriptions: enabled ones with due work and spare max_in_flight, plus
--     tripped ones whose probe time has come (one probe message each); their
--     rows are locked FOR NO KEY UPDATE SKIP LOCKED, so two claimers never work on
--     one subscription at once;
--  2. LATERAL, each subscription's share of the batch (batch_size split evenly
--     over the subscriptions picked, oldest due first) from its messages_due
--     range, FOR NO KEY UPDATE SKIP LOCKED.
-- Held messages (paused or tripped subscriptions) are never read: level 1
-- does not pick their subscription. A 1M backlog for one subscription delays
-- another's fresh events by at most one claim. A claim may return fewer rows
-- than batch_size when a subscription has less due work than its share; the
-- worker simply claims again.
--
-- Leases: next_attempt_at := lease expiry, so a leased message leaves the due
-- range and an expired one comes back without any sweeper. In flight is not a
-- counter but the number of running leases (messages_leased index, at most
-- max_in_flight entries read): an expired lease stops counting by itself.
-- That count is read from the statement's snapshot, which is only right if
-- no other claim for the subscription committed after the snapshot was taken;
-- every claim therefore writes the subscription row (last_claimed_at), and a
-- claimer that finds the locked row newer than the one in its snapshot
-- (xmin differs: EvalPlanQual handed it the latest version) skips it.
--
-- Measured (docs/benchmarks.md, "SQL delivery engine"; 2 cores, PostgreSQL 15,
-- command: bench/claim-record/run 20):
--   claim(100) -> record(100 delivered), 2 pgbench clients: 15,335 messages/s
--   with 1 subscription, 16,390 with 4 (target >= 10,000);
--   claim(100) with 10,000 due for a healthy subscription: 2.49 ms alone,
--   2.18 ms next to 1,000,000 held for a tripped one (target: within 20%).
-- Why the subscription-row lock and not only SKIP LOCKED on messages: without
-- it two claimers each see room under max_in_flight and together exceed it
-- (tests/pgtap/delivery/max_in_flight.sql caught 11 of 10 in 3 runs of 4
-- with the xmin check removed).
CREATE FUNCTION webhooks.claim(worker_id text, batch_size int, lease interval)
RETURNS TABLE (
    message_id       bigint,
    event_id         uuid,
    subscription_id  bigint,
    attempt          int,
    url              text,
    secrets          text[],
    headers          jsonb,
    body             text,
    timeout_ms       int,
    lease_expires_at timestamptz
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    IF claim.worker_id IS NULL OR btrim(claim.worker_id) = '' THEN
        RAISE EXCEPTION 'worker_id may not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF claim.batch_size IS NULL OR claim.batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1, not %', claim.batch_size USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF claim.lease IS NULL OR claim.lease <= interval '0' THEN
        RAISE EXCEPTION 'lease must be a positive interval, not %', claim.lease USING ERRCODE = 'invalid_parameter_value';
    END IF;

    RETURN QUERY
    WITH candidates AS MATERIALIZED (
        -- enabled subscriptions with due work and room under max_in_flight
        SELECT s.id, s.xmin AS seen, false AS probe, d.due_at,
               s.max_in_flight - (SELECT count(*)::int FROM webhooks.messages l
                                   WHERE l.subscription_id = s.id AND l.lease_owner IS NOT NULL
                                     AND l.lease_expires_at > now()) AS room
          FROM webhooks.subscriptions s
          CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS due_at FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending' AND m.next_attempt_at <= now()
                 ORDER BY m.next_attempt_at LIMIT 1) d
         WHERE s.enabled
        UNION ALL
        -- tripped subscriptions whose cool-down is over: one probe each
        SELECT s.id, s.xmin, true, s.probe_at, 1
          FROM webhooks.subscriptions s
         WHERE NOT s.enabled AND s.auto_disabled_at IS NOT NULL AND s.probe_at <= now()
           AND EXISTS (SELECT FROM webhooks.messages m
                        WHERE m.subscription_id = s.id AND m.state = 'pending'
                          AND (m.lease_expires_at IS NULL OR m.lease_expires_at <= now()))
    ),
    locked AS MATERIALIZED (
        SELECT s.id, s.xmin AS latest
          FROM webhooks.subscriptions s
         WHERE s.id IN (SELECT c.id FROM candidates c WHERE c.room > 0
                         ORDER BY c.due_at, c.id LIMIT claim.batch_size)
           FOR NO KEY UPDATE SKIP LOCKED
    ),
    chosen AS MATERIALIZED (
        SELECT c.id, c.probe, c.room, row_number() OVER (ORDER BY c.due_at, c.id) AS rn
          FROM candidates c
          JOIN locked l ON l.id = c.id AND l.latest = c.seen  -- unchanged since our snapshot
         WHERE c.room > 0
         ORDER BY c.due_at, c.id
         LIMIT claim.batch_size
    ),
    shares AS (
        SELECT ch.id, ch.probe,
               least(ch.room, claim.batch_size / n.n + (ch.rn <= claim.batch_size % n.n)::int) AS share
          FROM chosen ch, (SELECT count(*)::int AS n FROM chosen) n
    ),
    picked AS (
        SELECT p.id
          FROM shares sh
          CROSS JOIN LATERAL (
                SELECT m.id FROM webhooks.messages m
                 WHERE m.subscription_id = sh.id AND m.state = 'pending'
                   -- a probe may take a message scheduled later; never one leased now
                   AND m.next_attempt_at <= CASE WHEN sh.probe THEN 'infinity'::timestamptz ELSE now() END
                   AND (NOT sh.probe OR m.lease_expires_at IS NULL OR m.lease_expires_at <= now())
                 ORDER BY m.next_attempt_at
                 LIMIT sh.share
                   FOR NO KEY UPDATE SKIP LOCKED) p
    ),
    claimed AS (
        -- by primary key from an id array (an InitPlan): joined to the CTE
        -- instead, the planner's row guess could pick a hash join over a
        -- sequential scan of the whole outbox (19 ms for claim(200) with
        -- 50,000 queued; see docs/benchmarks.md for after)
        UPDATE webhooks.messages m
           SET lease_owner = claim.worker_id,
               lease_expires_at = now() + claim.lease,
               next_attempt_at = now() + claim.lease
         WHERE m.id = ANY (ARRAY(SELECT p.id FROM picked p))
        RETURNING m.id, m.event_id, m.subscription_id, m.attempts, m.lease_expires_at
    ),
    touched AS (
        UPDATE webhooks.subscriptions s
           SET last_claimed_at = now(),
               -- a probe holds the circuit until its lease runs out
               probe_at = CASE WHEN s.enabled THEN s.probe_at ELSE now() + claim.lease END,
               probe_message_id = CASE WHEN s.enabled THEN s.probe_message_id
                                       ELSE (SELECT min(c.id) FROM claimed c WHERE c.subscription_id = s.id) END
         WHERE s.id IN (SELECT c.subscription_id FROM claimed c)
    )
    SELECT c.id,
           c.event_id,
           c.subscription_id,
           c.attempts + 1,
           s.url,
           CASE WHEN s.previous_secret IS NOT NULL AND s.previous_secret_expires_at > now()
                THEN ARRAY[s.secret, s.previous_secret] ELSE ARRAY[s.secret] END,
           s.headers,
           format('{"type": %s, "timestamp": %s, "data": %s}',
                  to_json(e.event_type)::text,
                  to_json(to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
                  e.payload::text),
           (extract(epoch FROM s.timeout) * 1000)::int,
           c.lease_expires_at
      FROM claimed c
      JOIN webhooks.subscriptions s ON s.id = c.subscription_id
      JOIN webhooks.events e ON e.id = c.event_id
     ORDER BY c.subscription_id, c.id;
END
$$;

COMMENT ON FUNCTION webhooks.claim(text, int, interval) IS
    'worker API: lease up to batch_size due messages (fairly across subscriptions, within max_in_flight) and return all that sending needs';

/* only workers (and operators, for debugging) may take messages off the queue */
REVOKE ALL ON FUNCTION webhooks.claim(text, int, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.claim(text, int, interval) TO webhooks_worker, webhooks_admin;

-- sql/delivery/record.sql
-- Records a batch of delivery attempts in one transaction, set-based: one
-- statement logs every attempt and moves every message, a second one updates
-- the subscriptions that need it (failure count, circuit, 410 pause).
--
-- Outcomes (contract §6): 2xx delivered (message deleted); no response, 408,
-- 429 and 5xx retried while the schedule lasts, then failed; any other status
-- failed at once; 410 also pauses the subscription.
-- Retry delay: retry_schedule[attempt] × uniform(0.8, 1.2). A Retry-After
-- (retry_after_s) is honoured within [that jittered delay, 1 day]: it can
-- lengthen the wait up to a day, never shorten it below our schedule.
-- Circuit: consecutive failures (in result order; a success resets the count)
-- reaching circuit_threshold trip an enabled subscription once (enabled =
-- false, auto_disabled_at, probe after webhooks.probe_cooldown, default 1 min);
-- a failed probe doubles the cool-down up to webhooks.probe_cooldown_max
-- (default 1 h); any delivery for a tripped subscription re-enables it through
-- the same path as UPDATE ... SET enabled = true.
-- A result whose lease is no longer this worker's (expired and claimed again,
-- or the message already finished) is logged, with a note in error, and
-- changes nothing else. Returns the number of attempts logged.
CREATE FUNCTION webhooks.record(worker_id text, results jsonb)
RETURNS int
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    logged int;
    per_subscription jsonb;
    first_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown', true), ''), '1 min')::interval;
    max_cooldown interval := coalesce(nullif(current_setting('webhooks.probe_cooldown_max', true), ''), '1 hour')::interval;
BEGIN
    IF record.results IS NULL THEN
        RETURN 0;
    END IF;
    IF jsonb_typeof(record.results) <> 'array' THEN
        RAISE EXCEPTION 'results must be a JSON array of attempt objects, not %', jsonb_typeof(record.results)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    WITH r AS (
        SELECT e.ord,
               (e.j->>'message_id')::bigint      AS message_id,
               (e.j->>'attempt')::int            AS attempt,
               (e.j->>'status_code')::int        AS status_code,
               (e.j->>'duration_ms')::int        AS duration_ms,
               e.j->>'error'                     AS error,
               left(e.j->>'response', 1024)      AS response,
               (e.j->>'retry_after_s')::float8   AS retry_after_s,
               (e.j->>'event_id')::uuid          AS hint_event_id,
               (e.j->>'subscription_id')::bigint AS hint_subscription_id,
               CASE WHEN (e.j->>'status_code')::int BETWEEN 200 AND 299 THEN 'ok'
                    WHEN e.j->>'status_code' IS NULL OR (e.j->>'status_code')::int IN (408, 429)
                      OR (e.j->>'status_code')::int BETWEEN 500 AND 599 THEN 'retryable'
                    ELSE 'final' END             AS class
          FROM jsonb_array_elements(record.results) WITH ORDINALITY AS e(j, ord)
    ),
    firsts AS (  -- a message reported twice: the first result counts, the rest are logged
        SELECT DISTINCT ON (r.message_id) r.ord FROM r ORDER BY r.message_id, r.ord
    ),
    c AS MATERIALIZED (  -- results whose lease is ours, classified
        SELECT r.ord, m.id, m.event_id, m.subscription_id, m.attempts + 1 AS attempt, r.status_code, r.error,
               CASE WHEN r.class = 'ok' THEN 'delivered'
                    WHEN r.class = 'retryable' AND m.attempts + 1 <= cardinality(s.retry_schedule) THEN 'retrying'
                    ELSE 'failed' END AS outcome,
               s.retry_schedule[m.attempts + 1] * (0.8 + 0.4 * random()) AS jittered,
               make_interval(secs => r.retry_after_s) AS retry_after
          FROM r
          JOIN firsts f ON f.ord = r.ord
          JOIN webhooks.messages m ON m.id = r.message_id AND m.state = 'pending' AND m.lease_owner = record.worker_id
          JOIN webhooks.subscriptions s ON s.id = m.subscription_id
    ),
    -- The CTEs' row counts are unknown to the planner (it guesses one), so
    -- joins against them become nested loops that rescan a CTE per row:
    -- quadratic in the batch (24 ms for 200 results). Id arrays built once
    -- (ARRAY(...) is an InitPlan) keep every step linear: the PK index finds
    -- the messages, "= ANY" matches in memory. Measured with 200 delivered
    -- results: 24 ms before, see docs/benchmarks.md for after.
    done AS (
        DELETE FROM webhooks.messages m
         WHERE m.id = ANY (ARRAY(SELECT c.id FROM c WHERE c.outcome = 'delivered'))
           AND m.state = 'pending' AND m.lease_owner = record.worker_id
        RETURNING m.id
    ),
    moved AS (
        UPDATE webhooks.messages m
           SET attempts = m.attempts + 1,
               state = CASE WHEN c.outcome = 'failed' THEN 'failed' ELSE 'pending' END,
               next_attempt_at = CASE WHEN c.outcome = 'failed' THEN now()
                                      WHEN c.retry_after IS NULL OR c.retry_after <= c.jittered THEN now() + c.jittered
                                      ELSE now() + least(c.retry_after, interval '1 day') END,
               lease_owner = NULL,
               lease_expires_at = NULL
          FROM c
         WHERE m.id = c.id AND c.outcome <> 'delivered'
           AND m.id = ANY (ARRAY(SELECT c.id FROM c WHERE c.outcome <> 'delivered'))
           AND m.state = 'pending' AND m.lease_owner = record.worker_id
        RETURNING m.id
    ),
    applied AS (
        SELECT c.* FROM c WHERE c.id = ANY (ARRAY(SELECT id FROM done UNION ALL SELECT id FROM moved))
    ),
    log AS (
        INSERT INTO webhooks.deliveries (event_id, subscription_id, attempt, status_code, duration_ms,
                                         outcome, error, response, worker_id)
        SELECT coalesce(a.event_id, m.event_id, r.hint_event_id),
               coalesce(a.subscription_id, m.subscription_id, r.hint_subscription_id),
               coalesce(a.attempt, r.attempt, m.attempts + 1, 0),
               r.status_code,
               r.duration_ms,
               coalesce(a.outcome, CASE r.class WHEN 'ok' THEN 'delivered' WHEN 'retryable' THEN 'retrying' ELSE 'failed' END),
               CASE WHEN a.id IS NOT NULL THEN r.error
                    ELSE concat_ws('; ', r.error, 'late result: the lease was no longer this worker''s, the message was not moved') END,
               r.response,
               record.worker_id
          FROM r
          LEFT JOIN applied a ON a.ord = r.ord
          LEFT JOIN webhooks.messages m ON m.id = r.message_id
         WHERE coalesce(a.event_id, m.event_id, r.hint_event_id) IS NOT NULL
           AND coalesce(a.subscription_id, m.subscription_id, r.hint_subscription_id) IS NOT NULL
        RETURNING 1
    ),
    failed_events AS (  -- contract §7; never about a failed operational event (no alert loops)
        INSERT INTO webhooks.events (event_type, payload, about_subscription_id)
        SELECT 'webhooks.message.failed',
               jsonb_build_object('subscription', s.name, 'subscription_id', s.id, 'message_id', a.id,
                                  'event_id', a.event_id, 'event_type', e.event_type, 'attempts', a.attempt,
                                  'status_code', a.status_code, 'error', a.error),
               a.subscription_id
          FROM applied a
          JOIN webhooks.subscriptions s ON s.id = a.subscription_id
          JOIN webhooks.events e ON e.id = a.event_id
         WHERE a.outcome = 'failed' AND e.event_type NOT LIKE 'webhooks.%'
           AND EXISTS (SELECT FROM webhooks.event_types t WHERE t.name = 'webhooks.message.failed')
         ORDER BY a.ord
    ),
    per_sub AS (
        SELECT a.subscription_id,
               count(*) FILTER (WHERE a.outcome <> 'delivered')                     AS failures,
               count(*) FILTER (WHERE a.outcome = 'delivered')                      AS successes,
               count(*) FILTER (WHERE a.outcome <> 'delivered' AND a.ord > a.last_ok) AS failures_after,
               (array_agg(CASE WHEN a.status_code IS NULL THEN coalesce(a.error, 'no response')
                               ELSE concat_ws(': ', 'HTTP ' || a.status_code, a.error) END
                          ORDER BY a.ord DESC) FILTER (WHERE a.outcome <> 'delivered'))[1] AS last_error,
               bool_or(a.status_code = 410)                                         AS gone,
               coalesce(array_agg(a.id) FILTER (WHERE a.outcome <> 'delivered'), '{}') AS failed_ids
          FROM (SELECT ap.*, coalesce(max(ap.ord) FILTER (WHERE ap.outcome = 'delivered')
                                      OVER (PARTITION BY ap.subscription_id), 0) AS last_ok
                  FROM applied ap) a
         GROUP BY a.subscription_id
    )
    SELECT (SELECT count(*) FROM log),
           (SELECT jsonb_agg(to_jsonb(p)) FROM per_sub p WHERE p.failures > 0 OR p.successes > 0)
      INTO logged, per_subscription;

    IF per_subscription IS NOT NULL THEN
        -- Lock in id order (no deadlock between two recorders), only the rows
        -- that change: a batch of successes for a healthy subscription writes
        -- nothing here and so never waits for a claim.
        WITH a AS (
            SELECT * FROM jsonb_to_recordset(per_subscription) AS a(
                subscription_id bigint, failures int, successes int, failures_after int,
                last_error text, gone boolean, failed_ids bigint[])
        ),
        cur AS MATERIALIZED (
            SELECT s.id, s.enabled, s.circuit_threshold, s.probe_cooldown, s.probe_message_id, s.last_error,
                   NOT s.enabled AND s.auto_disabled_at IS NOT NULL AS tripped,
                   CASE WHEN a.successes > 0 THEN a.failures_after
                        ELSE s.consecutive_failures + a.failures END AS failures,
                   a.successes, a.gone, a.last_error AS new_error,
                   s.probe_message_id = ANY (a.failed_ids) AS probe_failed
              FROM webhooks.subscriptions s
              JOIN a ON a.subscription_id = s.id
             WHERE a.failures > 0 OR s.consecutive_failures <> 0 OR NOT s.enabled
             ORDER BY s.id
               FOR NO KEY UPDATE OF s
        ),
        v AS (
            SELECT cur.*,
                   CASE WHEN cur.gone THEN 'pause'
                        WHEN cur.tripped AND cur.successes > 0 THEN 'recover'
                        WHEN cur.tripped AND cur.probe_failed THEN 'probe_failed'
                        WHEN cur.enabled AND cur.failures >= cur.circuit_threshold THEN 'trip'
                        ELSE 'count' END AS action
              FROM cur
        )
        UPDATE webhooks.subscriptions s
           SET consecutive_failures = v.failures,
               last_error = CASE WHEN v.action = 'pause'
                                 THEN 'paused: the receiver answered 410 Gone (' || coalesce(v.new_error, 'HTTP 410') || ')'
                                 ELSE coalesce(v.new_error, v.last_error) END,
               -- 'recover' goes through the re-enable path of the validate trigger
               enabled = CASE v.action WHEN 'pause' THEN false WHEN 'recover' THEN true
                                       WHEN 'trip' THEN false ELSE s.enabled END,
               auto_disabled_at = CASE v.action WHEN 'pause' THEN NULL WHEN 'trip' THEN now()
                                                ELSE s.auto_disabled_at END,
               probe_cooldown = CASE v.action WHEN 'pause' THEN NULL WHEN 'trip' THEN first_cooldown
                                    WHEN 'probe_failed' THEN least(coalesce(v.probe_cooldown, first_cooldown) * 2, max_cooldown)
                                    ELSE s.probe_cooldown END,
               probe_at = CASE v.action WHEN 'pause' THEN NULL WHEN 'trip' THEN now() + first_cooldown
                              WHEN 'probe_failed' THEN now() + least(coalesce(v.probe_cooldown, first_cooldown) * 2, max_cooldown)
                              ELSE s.probe_at END,
               probe_message_id = CASE WHEN v.action = 'count' THEN s.probe_message_id END
          FROM v
         WHERE s.id = v.id;
    END IF;

    RETURN logged;
END
$$;

COMMENT ON FUNCTION webhooks.record(text, jsonb) IS
    'worker API: log a batch of attempts (JSON array) and move each message: delivered, retried on the jittered schedule, or failed; counts failures and trips circuits';

/* recording outcomes moves messages and trips circuits: workers and operators only */
REVOKE ALL ON FUNCTION webhooks.record(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.record(text, jsonb) TO webhooks_worker, webhooks_admin;

-- sql/delivery/release.sql
-- Gives leases back without counting an attempt (a worker shutting down, or
-- one that claimed more than it can send): the messages are due again at
-- once. Only the worker's own, still-running leases are released; a released
-- probe lets the circuit be probed again straight away.
CREATE FUNCTION webhooks.release(worker_id text, message_ids bigint[])
RETURNS int
LANGUAGE sql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
    WITH released AS (
        UPDATE webhooks.messages m
           SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now()
         WHERE m.id = ANY (release.message_ids)
           AND m.state = 'pending' AND m.lease_owner = release.worker_id
        RETURNING m.id, m.subscription_id
    ),
    probes AS (
        UPDATE webhooks.subscriptions s
           SET probe_at = now(), probe_message_id = NULL
          FROM released r
         WHERE s.id = r.subscription_id AND s.probe_message_id = r.id
           AND NOT s.enabled AND s.auto_disabled_at IS NOT NULL
    ),
    wake AS (
        SELECT pg_catalog.pg_notify('webhooks', '') WHERE EXISTS (SELECT FROM released)
    )
    SELECT count(*)::int FROM released, (SELECT count(*) FROM wake) w
$$;

COMMENT ON FUNCTION webhooks.release(text, bigint[]) IS
    'worker API: give back this worker''s leases on these messages without counting an attempt; returns how many were released';

/* only the worker that holds a lease has any use for giving it back */
REVOKE ALL ON FUNCTION webhooks.release(text, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.release(text, bigint[]) TO webhooks_worker, webhooks_admin;

-- sql/delivery/next_due.sql
-- When a claim could next return something, so that an idle worker sleeps
-- until then (or a NOTIFY, or its fallback poll). Per subscription: the
-- earliest due message if it has room under max_in_flight, else the earliest
-- running lease's expiry; a tripped one with messages waits for its probe
-- time; a paused one never. NULL when nothing is queued that could be sent.
-- May be in the past: then claim now.
CREATE FUNCTION webhooks.next_due()
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
    SELECT min(t.at) FROM (
        SELECT CASE WHEN l.running < s.max_in_flight THEN d.first_at
                    ELSE greatest(d.first_at, l.first_expiry) END AS at
          FROM webhooks.subscriptions s
          CROSS JOIN LATERAL (
                SELECT m.next_attempt_at AS first_at FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.state = 'pending'
                 ORDER BY m.next_attempt_at LIMIT 1) d
          CROSS JOIN LATERAL (
                SELECT count(*) AS running, min(m.lease_expires_at) AS first_expiry FROM webhooks.messages m
                 WHERE m.subscription_id = s.id AND m.lease_owner IS NOT NULL AND m.lease_expires_at > now()) l
         WHERE s.enabled
        UNION ALL
        SELECT s.probe_at
          FROM webhooks.subscriptions s
         WHERE NOT s.enabled AND s.auto_disabled_at IS NOT NULL
           AND EXISTS (SELECT FROM webhooks.messages m WHERE m.subscription_id = s.id AND m.state = 'pending')
    ) t
$$;

COMMENT ON FUNCTION webhooks.next_due() IS
    'worker API: the earliest time a claim could return a message (NULL: nothing that could be sent is queued)';

/* part of the worker's loop; it reveals no more than queue timing */
REVOKE ALL ON FUNCTION webhooks.next_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.next_due() TO webhooks_worker, webhooks_admin;

-- sql/delivery/replay.sql
-- Requeues a subscription's failed messages whose event was published at or
-- after `since`, with a fresh retry schedule (attempts start again at 1).
-- They are due at once, or held if the subscription is paused or tripped.
CREATE FUNCTION webhooks.replay(subscription text, since timestamptz DEFAULT '-infinity')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(replay.subscription);
    requeued bigint;
BEGIN
    IF replay.since IS NULL THEN
        RAISE EXCEPTION 'since may not be NULL (the default, ''-infinity'', replays everything)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE webhooks.messages m
       SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
     WHERE m.subscription_id = sub_id AND m.state = 'failed' AND m.created_at >= replay.since;
    GET DIAGNOSTICS requeued = ROW_COUNT;
    IF requeued > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN requeued;
END
$$;

COMMENT ON FUNCTION webhooks.replay(text, timestamptz) IS
    'requeue the named subscription''s failed messages published since then, with a fresh retry schedule; returns how many';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.replay(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.replay(text, timestamptz) TO webhooks_admin;

-- sql/delivery/redeliver.sql
-- Sends one event again: to the named subscription, or (NULL) to every
-- subscription it was sent or queued for. A failed message is requeued with a
-- fresh schedule, a message still pending is left as it is (it is on its
-- way), a finished one gets a new message. Never to the subscription an
-- operational event is about. Returns the number of messages queued.
CREATE FUNCTION webhooks.redeliver(event_id uuid, subscription text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    about bigint;
    target bigint;
    requeued bigint;
    added bigint;
BEGIN
    SELECT e.about_subscription_id INTO about FROM webhooks.events e WHERE e.id = redeliver.event_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown event %', redeliver.event_id USING ERRCODE = 'no_data_found';
    END IF;
    IF redeliver.subscription IS NOT NULL THEN
        target := webhooks.subscription_id(redeliver.subscription);
        IF target = about THEN
            RAISE EXCEPTION 'event % is an operational event about subscription "%" and is never sent to it',
                redeliver.event_id, redeliver.subscription USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    WITH targets AS (
        SELECT target AS id WHERE target IS NOT NULL
        UNION
        SELECT d.subscription_id FROM webhooks.deliveries d WHERE d.event_id = redeliver.event_id AND target IS NULL
        UNION
        SELECT m.subscription_id FROM webhooks.messages m WHERE m.event_id = redeliver.event_id AND target IS NULL
    ),
    live AS (  -- deleted subscriptions and the one it is about are not targets
        SELECT t.id FROM targets t
         WHERE EXISTS (SELECT FROM webhooks.subscriptions s WHERE s.id = t.id)
           AND t.id IS DISTINCT FROM about
    ),
    requeue AS (
        UPDATE webhooks.messages m
           SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL
         WHERE m.event_id = redeliver.event_id AND m.state = 'failed' AND m.subscription_id IN (SELECT id FROM live)
        RETURNING m.subscription_id
    ),
    add AS (
        INSERT INTO webhooks.messages (event_id, subscription_id)
        SELECT redeliver.event_id, l.id FROM live l
         WHERE NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = redeliver.event_id AND m.subscription_id = l.id)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM requeue), (SELECT count(*) FROM add) INTO requeued, added;

    IF requeued + added > 0 THEN
        PERFORM pg_notify('webhooks', '');
    END IF;
    RETURN requeued + added;
END
$$;

COMMENT ON FUNCTION webhooks.redeliver(uuid, text) IS
    'send an event again, to the named subscription or to all it went to; returns the number of messages queued';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.redeliver(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.redeliver(uuid, text) TO webhooks_admin;

-- sql/delivery/discard_pending.sql
-- Drops a subscription's pending messages on purpose (contract §4): those
-- held while it was paused or tripped, and any still queued or in flight (a
-- worker's later result for one is only logged). Failed messages stay for
-- replay. Returns the number dropped.
CREATE FUNCTION webhooks.discard_pending(name text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(discard_pending.name);
    dropped bigint;
BEGIN
    DELETE FROM webhooks.messages m WHERE m.subscription_id = sub_id AND m.state = 'pending';
    GET DIAGNOSTICS dropped = ROW_COUNT;
    RETURN dropped;
END
$$;

COMMENT ON FUNCTION webhooks.discard_pending(text) IS
    'delete the named subscription''s pending messages (failed ones stay for replay); returns how many';

/* an operator's decision */
REVOKE ALL ON FUNCTION webhooks.discard_pending(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.discard_pending(text) TO webhooks_admin;

-- sql/delivery/rotate_secret.sql
-- Gives a subscription a fresh secret and returns it (contract §4). For the
-- grace period every request is signed with both the new and the old secret,
-- so the receiver can switch over at leisure; a zero grace drops the old one
-- at once. Rotating again within a grace period keeps only the newest two.
CREATE FUNCTION webhooks.rotate_secret(name text, grace interval DEFAULT '24 hours')
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
AS $$
DECLARE
    sub_id bigint := webhooks.subscription_id(rotate_secret.name);
    fresh text := webhooks.generate_secret();
BEGIN
    IF rotate_secret.grace IS NULL OR rotate_secret.grace < interval '0' THEN
        RAISE EXCEPTION 'grace must be a non-negative interval, not %', coalesce(rotate_secret.grace::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE webhooks.subscriptions s
       SET previous_secret = CASE WHEN rotate_secret.grace > interval '0' THEN s.secret END,
           previous_secret_expires_at = CASE WHEN rotate_secret.grace > interval '0' THEN now() + rotate_secret.grace END,
           secret = fresh
     WHERE s.id = sub_id;
    RETURN fresh;
END
$$;

COMMENT ON FUNCTION webhooks.rotate_secret(text, interval) IS
    'give the named subscription a new secret and return it; the old one keeps signing for the grace period';

/* secrets are the operator's alone */
REVOKE ALL ON FUNCTION webhooks.rotate_secret(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.rotate_secret(text, interval) TO webhooks_admin;

-- sql/delivery/purge.sql
-- Removes history older than older_than: attempts from webhooks.deliveries,
-- then events that no message references (pending or failed work is never
-- touched) and that have no attempts left on record. The append-only guard
-- lets it through because it sets webhooks.purging for itself alone (the SET
-- clause below restores the caller's value on exit). Returns rows removed.
CREATE FUNCTION webhooks.purge(older_than interval)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
SET webhooks.purging TO 'off'
AS $$
DECLARE
    cutoff timestamptz;
    attempts_removed bigint;
    events_removed bigint;
BEGIN
    IF purge.older_than IS NULL OR purge.older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be a non-negative interval, not %', coalesce(purge.older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cutoff := now() - purge.older_than;
    SET LOCAL webhooks.purging = 'on';

    DELETE FROM webhooks.deliveries d WHERE d.attempted_at < cutoff;
    GET DIAGNOSTICS attempts_removed = ROW_COUNT;

    DELETE FROM webhooks.events e
     WHERE e.created_at < cutoff
       AND NOT EXISTS (SELECT FROM webhooks.messages m WHERE m.event_id = e.id)
       AND NOT EXISTS (SELECT FROM webhooks.deliveries d WHERE d.event_id = e.id);
    GET DIAGNOSTICS events_removed = ROW_COUNT;

    SET LOCAL webhooks.purging = 'off';
    RETURN attempts_removed + events_removed;
END
$$;

COMMENT ON FUNCTION webhooks.purge(interval) IS
    'delete delivery attempts and finished events older than older_than (never pending or failed work); returns rows removed';

/* history is the operator's to keep or drop */
REVOKE ALL ON FUNCTION webhooks.purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.purge(interval) TO webhooks_admin;

-- sql/views/subscription_status.sql
-- One row per subscription for the operator (contract §4); never a secret.
CREATE VIEW webhooks.subscription_status AS
SELECT s.name,
       s.url,
       CASE WHEN s.enabled THEN 'active'
            WHEN s.auto_disabled_at IS NOT NULL THEN 'tripped'
            ELSE 'paused' END                                        AS state,
       CASE WHEN s.url ~* '^http://' THEN ARRAY['insecure_url'] ELSE '{}'::text[] END AS warnings,
       s.consecutive_failures,
       s.last_error,
       s.auto_disabled_at,
       coalesce(m.pending, 0)                                       AS pending,
       coalesce(m.failed, 0)                                        AS failed,
       coalesce(d.delivered_24h, 0)                                 AS delivered_24h,
       coalesce(d.failed_attempts_24h, 0)                           AS failed_attempts_24h,
       d.p50_ms_24h,
       d.p95_ms_24h,
       d.last_success_at
  FROM webhooks.subscriptions s
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
               count(*) FILTER (WHERE state = 'failed')  AS failed
          FROM webhooks.messages WHERE subscription_id = s.id) m ON true
  LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE outcome = 'delivered')  AS delivered_24h,
               count(*) FILTER (WHERE outcome <> 'delivered') AS failed_attempts_24h,
               percentile_cont(0.5)  WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p50_ms_24h,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE outcome = 'delivered') AS p95_ms_24h,
               max(attempted_at) FILTER (WHERE outcome = 'delivered') AS last_success_at
          FROM webhooks.deliveries
         WHERE subscription_id = s.id AND attempted_at > now() - interval '24 hours') d ON true;

COMMENT ON VIEW webhooks.subscription_status IS
    'per subscription: state (active/paused/tripped), warnings, failures, pending and failed messages, last 24 hours of deliveries';

-- sql/roles/grants.sql
-- Least privilege (contract §2). Functions carry their own EXECUTE grants in
-- their files; this file grants table and view rights, and revokes the
-- default PUBLIC EXECUTE on every function of the schema that no file granted.

/* publishers insert events and read back the ids they made; nothing else */
GRANT INSERT (event_type, payload, idempotency_key) ON webhooks.events TO webhooks_publisher;
GRANT SELECT (id) ON webhooks.events TO webhooks_publisher;

/* operators administer everything in psql; history stays append-only through its triggers */
GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks.event_types, webhooks.subscriptions TO webhooks_admin;
GRANT SELECT, INSERT ON webhooks.events TO webhooks_admin;
GRANT SELECT ON webhooks.routes, webhooks.messages, webhooks.deliveries TO webhooks_admin;
GRANT SELECT ON webhooks.subscription_status TO webhooks_admin;

/* validation helpers are harmless and useful to anyone who can see the schema */
GRANT EXECUTE ON FUNCTION webhooks.is_valid_event_type_name(text), webhooks.pattern_error(text),
    webhooks.pattern_matches(text, text), webhooks.url_error(text), webhooks.secret_error(text)
    TO webhooks_publisher, webhooks_worker, webhooks_admin;

/* everything else in the schema is executable only where a file granted it */
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA webhooks FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhooks.generate_secret() TO webhooks_admin;
