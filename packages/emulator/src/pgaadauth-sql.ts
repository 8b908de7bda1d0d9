/**
 * Azure's role management functions (`pgaadauth_*`) in SQL, installed into the template's
 * `pg_catalog` (so they are on every search path and never dumped). The mapping of a role to
 * an Entra object lives in the role's setting `pgaadauth.label` (a shared catalog: visible
 * from every database, removed with the role). Names are resolved against a directory file
 * the emulator writes into the data folder.
 */

/** Role setting that holds the mapping label. */
export const PGAADAUTH_LABEL_SETTING = "pgaadauth.label";
/** File in the data folder with the directory (`{ tenantId, principals: [{ name, oid, type }] }`). */
export const PGAADAUTH_DIRECTORY_FILE = "pgaadauth_directory.json";

const LABEL_HINT = "A label has the form 'aadauth,oid=<object id>,type=<user|group|service>[,admin]'.";

/** The SQL, run as superuser in `postgres` and `template1` while the template is made. */
export const PGAADAUTH_SQL = `
CREATE FUNCTION pg_catalog.pgaadauth_emulator_require_admin() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
BEGIN
  IF NOT pg_has_role(session_user, 'azure_pg_admin', 'MEMBER') THEN
    RAISE EXCEPTION 'permission denied to manage Microsoft Entra ID roles'
      USING ERRCODE = '42501',
        DETAIL = format('Role "%s" is not a member of azure_pg_admin.', session_user),
        HINT = 'Connect as a Microsoft Entra administrator of the server (in the emulator: alice@contoso.com, or see entraAdmin).';
  END IF;
END $f$;

CREATE FUNCTION pg_catalog.pgaadauth_emulator_check_object(object_id text, object_type text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $f$
BEGIN
  IF object_type IS NULL OR object_type NOT IN ('user', 'group', 'service') THEN
    RAISE EXCEPTION 'invalid object type "%"', object_type
      USING ERRCODE = '22023', HINT = 'The object type is one of user, group, service.';
  END IF;
  IF object_id IS NULL OR object_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'invalid object id "%"', object_id
      USING ERRCODE = '22023', HINT = 'The object id of a Microsoft Entra principal is a GUID, e.g. a11ce000-0000-4000-8000-000000000001.';
  END IF;
END $f$;

CREATE FUNCTION pg_catalog.pgaadauth_emulator_parse_label(label text, OUT object_id text, OUT object_type text, OUT is_admin boolean, OUT is_mfa boolean)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $f$
DECLARE
  parts text[] := string_to_array(label, ',');
  part text;
BEGIN
  is_admin := false;
  is_mfa := false;
  IF parts IS NULL OR parts[1] IS DISTINCT FROM 'aadauth' THEN
    RAISE EXCEPTION 'invalid security label "%"', label USING ERRCODE = '22023', HINT = ${sqlLiteral(LABEL_HINT)};
  END IF;
  FOREACH part IN ARRAY parts[2:] LOOP
    part := btrim(part);
    IF part LIKE 'oid=%' THEN object_id := lower(substr(part, 5));
    ELSIF part LIKE 'type=%' THEN object_type := substr(part, 6);
    ELSIF part = 'admin' THEN is_admin := true;
    ELSIF part = 'mfa' THEN is_mfa := true;
    ELSE
      RAISE EXCEPTION 'invalid security label "%"', label USING ERRCODE = '22023', HINT = ${sqlLiteral(LABEL_HINT)};
    END IF;
  END LOOP;
  PERFORM pg_catalog.pgaadauth_emulator_check_object(object_id, object_type);
END $f$;

-- Maps an existing role (no admin check: internal, superuser only).
CREATE FUNCTION pg_catalog.pgaadauth_emulator_map(role_name text, label text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
DECLARE
  parsed record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
    RAISE EXCEPTION 'role "%" does not exist', role_name USING ERRCODE = '42704';
  END IF;
  IF label IS NULL THEN
    EXECUTE format('ALTER ROLE %I RESET ${PGAADAUTH_LABEL_SETTING}', role_name);
    RETURN;
  END IF;
  parsed := pg_catalog.pgaadauth_emulator_parse_label(label);
  EXECUTE format('ALTER ROLE %I SET ${PGAADAUTH_LABEL_SETTING} = %L', role_name,
    format('aadauth,oid=%s,type=%s', parsed.object_id, parsed.object_type)
      || CASE WHEN parsed.is_admin THEN ',admin' ELSE '' END
      || CASE WHEN parsed.is_mfa THEN ',mfa' ELSE '' END);
  IF parsed.is_admin THEN
    EXECUTE format('ALTER ROLE %I CREATEROLE CREATEDB', role_name);
    EXECUTE format('GRANT azure_pg_admin TO %I WITH ADMIN OPTION', role_name);
  END IF;
END $f$;
REVOKE ALL ON FUNCTION pg_catalog.pgaadauth_emulator_map(text, text) FROM PUBLIC;

-- What the TLS front runs for SECURITY LABEL FOR "pgaadauth" ON ROLE ... IS ...
CREATE FUNCTION pg_catalog.pgaadauth_emulator_security_label(role_name text, label text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
BEGIN
  PERFORM pg_catalog.pgaadauth_emulator_require_admin();
  PERFORM pg_catalog.pgaadauth_emulator_map(role_name, label);
END $f$;

CREATE FUNCTION pg_catalog.pgaadauth_create_principal_with_oid(roleName text, objectId text, objectType text, isAdmin boolean, isMfa boolean) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
BEGIN
  PERFORM pg_catalog.pgaadauth_emulator_require_admin();
  PERFORM pg_catalog.pgaadauth_emulator_check_object(lower(objectId), objectType);
  IF roleName IS NULL OR roleName = '' THEN
    RAISE EXCEPTION 'invalid role name' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = roleName) THEN
    RAISE EXCEPTION 'role "%" already exists', roleName USING ERRCODE = '42710';
  END IF;
  EXECUTE format('CREATE ROLE %I LOGIN', roleName);
  PERFORM pg_catalog.pgaadauth_emulator_map(roleName,
    format('aadauth,oid=%s,type=%s', lower(objectId), objectType)
      || CASE WHEN coalesce(isAdmin, false) THEN ',admin' ELSE '' END
      || CASE WHEN coalesce(isMfa, false) THEN ',mfa' ELSE '' END);
  RETURN format('Created role for %s', roleName);
END $f$;

CREATE FUNCTION pg_catalog.pgaadauth_create_principal(roleName text, isAdmin boolean, isMfa boolean) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $f$
DECLARE
  found record;
BEGIN
  PERFORM pg_catalog.pgaadauth_emulator_require_admin();
  SELECT e->>'oid' AS oid, e->>'type' AS type INTO found
    FROM json_array_elements(pg_read_file('${PGAADAUTH_DIRECTORY_FILE}')::json -> 'principals') AS e
   WHERE lower(e->>'name') = lower(roleName)
   LIMIT 1;
  IF found IS NULL OR found.oid IS NULL THEN
    RAISE EXCEPTION 'Could not validate AAD user % because its name is not found in the tenant.', roleName
      USING ERRCODE = '22023',
        HINT = 'Use the UPN of a user or the display name of a group, service principal or managed identity; add principals with emu.addPrincipal() or the CLI option --add-principal.';
  END IF;
  RETURN pg_catalog.pgaadauth_create_principal_with_oid(roleName, found.oid, found.type, isAdmin, isMfa);
END $f$;

-- Input parameter unnamed: its documented name (isAdmin) is also the name of an output column.
CREATE FUNCTION pg_catalog.pgaadauth_list_principals(boolean)
RETURNS TABLE(rolname name, "principalType" text, "objectId" text, "tenantId" text, "isMfa" boolean, "isAdmin" boolean)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $f$
  SELECT pg_catalog.pgaadauth_emulator_require_admin();
  SELECT r.rolname, l.object_type, l.object_id, pg_read_file('${PGAADAUTH_DIRECTORY_FILE}')::json ->> 'tenantId', l.is_mfa, l.is_admin
    FROM pg_roles r
    JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0
    CROSS JOIN LATERAL unnest(s.setconfig) AS c
    CROSS JOIN LATERAL pg_catalog.pgaadauth_emulator_parse_label(substr(c, length('${PGAADAUTH_LABEL_SETTING}') + 2)) AS l
   WHERE c LIKE '${PGAADAUTH_LABEL_SETTING}=%'
     AND (NOT coalesce($1, false) OR l.is_admin)
   ORDER BY r.rolname;
$f$;
`;

function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
