-- Prints a sorted description of everything in the webhooks schema: tables
-- and columns, constraints, indexes, functions with their bodies, triggers,
-- views, privileges, table options. Two databases with the same output have
-- the same schema, however they were installed (CREATE EXTENSION, psql -f,
-- or an upgrade chain).
\pset tuples_only on
\pset format unaligned
WITH objects AS (
    SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
           || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END AS line
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE n.nspname = 'webhooks'
    UNION ALL
    SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' acl=' || coalesce(c.relacl::text, '')
           || ' options=' || coalesce(c.reloptions::text, '')
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'webhooks'
    UNION ALL
    SELECT 'column acl ' || c.relname || '.' || a.attname || ' ' || a.attacl::text
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid WHERE n.nspname = 'webhooks' AND a.attacl IS NOT NULL
    UNION ALL
    SELECT 'constraint ' || t.relname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM pg_constraint co JOIN pg_class t ON t.oid = co.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'webhooks'
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'webhooks'
    UNION ALL
    SELECT 'function ' || pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, '')
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'webhooks'
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(tg.oid)
      FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'webhooks' AND NOT tg.tgisinternal
    UNION ALL
    SELECT 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'webhooks' AND c.relkind = 'v'
    UNION ALL
    SELECT 'comment ' || coalesce(obj_description(c.oid), '') || ' on ' || c.relname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'webhooks'
    UNION ALL
    SELECT 'schema acl ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'webhooks'
    UNION ALL
    SELECT 'event type ' || name FROM webhooks.event_types
)
SELECT line FROM objects ORDER BY line;
