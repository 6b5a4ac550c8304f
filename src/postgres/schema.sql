-- para-auth schema, migration 1: apps, users, and change notifications.
--
-- Secrets are stored as the in-memory stores keep them (the secret's text).
-- Every row carries a revision drawn from one sequence: a row that changes,
-- or is deleted and created again, never shows an earlier revision, so a
-- cache can tell an unchanged row from a changed one by the revision alone.

CREATE SEQUENCE para_revision;

CREATE TABLE para_apps (
    access_key              text PRIMARY KEY,
    revision                bigint NOT NULL DEFAULT nextval('para_revision'),
    secret                  text NOT NULL,
    previous_secret         text,
    previous_valid_until    bigint,
    active                  boolean NOT NULL,
    read_only               boolean NOT NULL,
    token_validity_secs     bigint NOT NULL,
    refresh_interval_secs   bigint NOT NULL,
    one_session_per_user    boolean NOT NULL,
    passwordless_key        text,
    link_by_email           boolean NOT NULL,
    allow_unverified_emails boolean NOT NULL,
    -- Para's JSON map: {subject: {resource: [tokens]}}.
    permissions             text NOT NULL,
    CHECK ((previous_secret IS NULL) = (previous_valid_until IS NULL))
);

CREATE TABLE para_users (
    app_id        text NOT NULL,
    id            text NOT NULL,
    revision      bigint NOT NULL DEFAULT nextval('para_revision'),
    token_secret  text NOT NULL,
    identifiers   text[] NOT NULL,
    email         text,
    name          text,
    picture       text,
    groups        text[] NOT NULL,
    active        boolean NOT NULL,
    password_hash text,
    PRIMARY KEY (app_id, id)
);

CREATE INDEX para_users_identifiers ON para_users USING gin (identifiers);
CREATE INDEX para_users_email ON para_users (app_id, email);

-- Every change to a row tells the other servers which entry to drop.
CREATE FUNCTION para_apps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('para_auth', json_build_array('app', OLD.access_key)::text);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('para_auth', json_build_array('app', NEW.access_key)::text);
    IF TG_OP = 'UPDATE' AND OLD.access_key <> NEW.access_key THEN
        PERFORM pg_notify('para_auth', json_build_array('app', OLD.access_key)::text);
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION para_users_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('para_auth', json_build_array('user', OLD.app_id, OLD.id)::text);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('para_auth', json_build_array('user', NEW.app_id, NEW.id)::text);
    IF TG_OP = 'UPDATE' AND (OLD.app_id, OLD.id) <> (NEW.app_id, NEW.id) THEN
        PERFORM pg_notify('para_auth', json_build_array('user', OLD.app_id, OLD.id)::text);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER para_apps_notify AFTER INSERT OR UPDATE OR DELETE ON para_apps
    FOR EACH ROW EXECUTE FUNCTION para_apps_changed();

CREATE TRIGGER para_users_notify AFTER INSERT OR UPDATE OR DELETE ON para_users
    FOR EACH ROW EXECUTE FUNCTION para_users_changed();
