namespace TaskRunner.Postgres;

/// <summary>Migration 4: the slots of concurrency keys, so a claim never steps over jobs held back by a busy key.</summary>
internal static partial class PostgresSchema
{
    /// <summary>
    /// A pending job with a concurrency key is claimable only while it holds one of its key's slots (<c>key_wait</c> false);
    /// the others wait (<c>key_wait</c> true) outside the claim index <c>jobs_claim</c>, so a claim walks only jobs it can
    /// take however many wait behind a busy key, and needs no key check of its own: a key's slot holders (pending with a
    /// slot, or running) are never more than its limit, so neither are its running jobs.
    /// </summary>
    /// <remarks>
    /// Slots are kept by row triggers, in the statement that changes the state, so every writer (each statement of this
    /// backend, an operator's hand-written SQL, an older or newer node) keeps them right:
    /// <list type="bullet">
    /// <item>take: a keyed job becoming pending from anything but running (inserted, promoted, requeued, debounced) holds a
    /// slot if fewer than its limit of the key's jobs hold one, else it waits. A BEFORE trigger sets the row's own
    /// <c>key_wait</c> (no second row version), and sees the rows its statement changed before it.</item>
    /// <item>give: a slot holder leaving pending/running (finished, failed for a retry, cancelled, debounced back to
    /// scheduled, deleted) hands its slot to the key's first waiting job in claim order, and as many more as the
    /// waiting jobs' limits allow. An AFTER trigger: it sees every change of its statement.</item>
    /// <item>claim (pending to running), release and recovery to pending (running to pending) keep the slot.</item>
    /// </list>
    /// Takers and givers of one key take turns on the key's row in <c>concurrency_keys</c> (<c>FOR UPDATE</c>, held to
    /// commit), then count under READ COMMITTED in a statement of their own, whose snapshot is taken after the lock was
    /// granted: so each sees every slot change committed before it, and N stays exact with any number of nodes. Counting
    /// reads <c>jobs_key_holders</c> (at most the limit entries per key); the first waiting job comes from
    /// <c>jobs_key_waiting</c>. Jobs without a key never fire a trigger (each trigger's WHEN tests the key first), so
    /// their enqueue, claim and completion pay nothing. A transaction that gives or takes slots of several keys locks
    /// their rows in its rows' order, so two such transactions can deadlock; PostgreSQL then aborts one (SQLSTATE 40P01,
    /// a transient <see cref="JobStoreException"/> that the caller retries), as it could abort the key counter updates
    /// this replaces. Existing pending jobs are marked as the claim of version 3 would have taken them: in claim order
    /// per key, behind the key's running jobs.
    /// </remarks>
    private const string KeyWait =
        """
        ALTER TABLE {s}.jobs ADD COLUMN key_wait boolean NOT NULL DEFAULT false;
        ALTER TABLE {s}.concurrency_keys DROP COLUMN running;

        WITH running AS (SELECT concurrency_key, count(*) AS n FROM {s}.jobs WHERE state = {Running} AND concurrency_key IS NOT NULL GROUP BY concurrency_key),
        ranked AS (SELECT p.id, p.concurrency_limit,
            coalesce(r.n, 0) + row_number() OVER (PARTITION BY p.concurrency_key ORDER BY p.priority DESC, p.run_at, p.id) AS slot
            FROM {s}.jobs p LEFT JOIN running r ON r.concurrency_key = p.concurrency_key WHERE p.state = {Pending} AND p.concurrency_key IS NOT NULL)
        UPDATE {s}.jobs j SET key_wait = true FROM ranked w WHERE j.id = w.id AND w.slot > w.concurrency_limit;
        INSERT INTO {s}.concurrency_keys (key) SELECT DISTINCT concurrency_key FROM {s}.jobs WHERE concurrency_key IS NOT NULL ON CONFLICT DO NOTHING;

        DROP INDEX {s}.jobs_claim;
        CREATE INDEX jobs_claim ON {s}.jobs (queue, priority DESC, run_at, id) WHERE state = {Pending} AND NOT key_wait;
        DROP INDEX {s}.jobs_concurrency_key;
        CREATE INDEX jobs_key_holders ON {s}.jobs (concurrency_key) WHERE concurrency_key IS NOT NULL AND NOT key_wait AND state IN ({Pending}, {Running});
        CREATE INDEX jobs_key_waiting ON {s}.jobs (concurrency_key, priority DESC, run_at, id) WHERE concurrency_key IS NOT NULL AND key_wait AND state = {Pending};

        -- The key's row, locked until commit; created on first use (a concurrent creator is waited for by ON CONFLICT).
        CREATE FUNCTION {s}.lock_concurrency_key(key_name text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM FROM {s}.concurrency_keys WHERE key = key_name FOR UPDATE;
            IF NOT FOUND THEN
                INSERT INTO {s}.concurrency_keys (key) VALUES (key_name) ON CONFLICT DO NOTHING;
                PERFORM FROM {s}.concurrency_keys WHERE key = key_name FOR UPDATE;
            END IF;
        END $$;

        CREATE FUNCTION {s}.jobs_key_take() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM {s}.lock_concurrency_key(NEW.concurrency_key);
            NEW.key_wait := (SELECT count(*) FROM (SELECT FROM {s}.jobs h WHERE h.concurrency_key = NEW.concurrency_key AND NOT h.key_wait
                AND h.state IN ({Pending}, {Running}) AND h.id <> NEW.id LIMIT NEW.concurrency_limit) holders) >= NEW.concurrency_limit;
            RETURN NEW;
        END $$;

        -- A job given a slot is claimable now: its queue's listeners are woken (at commit) as for an enqueue. Each round re-reads the first waiting job and the holders in new statements (new snapshots): a waiting job changed
        -- meanwhile (cancelled, say) is not updated and is gone from the next round's read, so the loop ends.
        CREATE FUNCTION {s}.jobs_key_give() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            next_id bigint;
            next_limit integer;
            next_queue text;
        BEGIN
            PERFORM {s}.lock_concurrency_key(OLD.concurrency_key);
            LOOP
                SELECT w.id, w.concurrency_limit INTO next_id, next_limit FROM {s}.jobs w
                    WHERE w.concurrency_key = OLD.concurrency_key AND w.key_wait AND w.state = {Pending}
                    ORDER BY w.priority DESC, w.run_at, w.id LIMIT 1;
                EXIT WHEN NOT FOUND;
                EXIT WHEN (SELECT count(*) FROM (SELECT FROM {s}.jobs h WHERE h.concurrency_key = OLD.concurrency_key AND NOT h.key_wait
                    AND h.state IN ({Pending}, {Running}) LIMIT next_limit) holders) >= next_limit;
                UPDATE {s}.jobs SET key_wait = false WHERE id = next_id AND key_wait AND state = {Pending} RETURNING queue INTO next_queue;
                IF FOUND THEN
                    PERFORM pg_notify('{channel}', next_queue);
                END IF;
            END LOOP;
            RETURN NULL;
        END $$;

        CREATE TRIGGER jobs_key_take_on_insert BEFORE INSERT ON {s}.jobs FOR EACH ROW
            WHEN (NEW.concurrency_key IS NOT NULL AND NEW.state = {Pending}) EXECUTE FUNCTION {s}.jobs_key_take();
        CREATE TRIGGER jobs_key_take BEFORE UPDATE OF state ON {s}.jobs FOR EACH ROW
            WHEN (NEW.concurrency_key IS NOT NULL AND NEW.state = {Pending} AND OLD.state NOT IN ({Pending}, {Running})) EXECUTE FUNCTION {s}.jobs_key_take();
        CREATE TRIGGER jobs_key_give AFTER UPDATE OF state ON {s}.jobs FOR EACH ROW
            WHEN (OLD.concurrency_key IS NOT NULL AND NOT OLD.key_wait AND OLD.state IN ({Pending}, {Running}) AND NEW.state NOT IN ({Pending}, {Running}))
            EXECUTE FUNCTION {s}.jobs_key_give();
        CREATE TRIGGER jobs_key_give_on_delete AFTER DELETE ON {s}.jobs FOR EACH ROW
            WHEN (OLD.concurrency_key IS NOT NULL AND NOT OLD.key_wait AND OLD.state IN ({Pending}, {Running})) EXECUTE FUNCTION {s}.jobs_key_give();
        """;
}
