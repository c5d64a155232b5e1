using Dapper;
using Microsoft.Data.Sqlite;

namespace ScriptExec.Store;

/// <summary>
/// Numbered schema migrations. <c>PRAGMA user_version</c> records the last one applied; each runs once, in order,
/// in its own transaction. Never edit a released migration: add the next number.
/// </summary>
internal static class Migrations
{
    private static readonly string[] Steps =
    [
        // 1: scripts, instances, executions, output lines.
        """
        CREATE TABLE scripts (
            name              TEXT    NOT NULL PRIMARY KEY,
            version           TEXT    NOT NULL,
            source            TEXT    NOT NULL,
            description       TEXT,
            updated_timestamp INTEGER NOT NULL
        );

        CREATE TABLE instances (
            script_name          TEXT    NOT NULL REFERENCES scripts(name) ON DELETE CASCADE,
            name                 TEXT    NOT NULL,
            arguments            TEXT,
            env                  TEXT    NOT NULL DEFAULT '{}',
            working_dir          TEXT,
            run_as_user          TEXT,
            timeout_s            INTEGER,
            stop_grace_s         INTEGER NOT NULL,
            start_trigger_type   TEXT    NOT NULL,
            start_trigger_setting TEXT,
            stop_trigger_type    TEXT,
            stop_trigger_setting TEXT,
            updated_timestamp    INTEGER NOT NULL,
            PRIMARY KEY (script_name, name)
        );

        -- AUTOINCREMENT: ids are never reused, even after the newest row is pruned.
        CREATE TABLE executions (
            id                     INTEGER PRIMARY KEY AUTOINCREMENT,
            script_name            TEXT    NOT NULL,
            instance_name          TEXT    NOT NULL,
            script_version         TEXT    NOT NULL,
            start_timestamp        INTEGER NOT NULL,
            start_trigger_type     TEXT    NOT NULL,
            start_trigger_setting  TEXT,
            start_trigger_username TEXT,
            state                  TEXT    NOT NULL,
            arguments              TEXT,
            pid                    INTEGER,
            proc_start_time        INTEGER,
            boot_id                TEXT,
            duration_ms            INTEGER,
            exit_code              INTEGER,
            stop_trigger_type      TEXT,
            stop_trigger_setting   TEXT,
            stop_trigger_username  TEXT,
            outdated               INTEGER NOT NULL DEFAULT 0,
            output_truncated       INTEGER NOT NULL DEFAULT 0,
            output_bytes           INTEGER NOT NULL DEFAULT 0,
            end_timestamp          INTEGER
        );

        -- Every script_execution_get page is a keyset seek on one of these (see ExecutionQuery).
        CREATE INDEX ix_executions_instance  ON executions (script_name, instance_name, id);
        CREATE INDEX ix_executions_script    ON executions (script_name, id);
        CREATE INDEX ix_executions_state     ON executions (state, id);
        CREATE INDEX ix_executions_exit_code ON executions (exit_code, id);

        -- Line ids are per execution; the primary key is the read order.
        CREATE TABLE output_lines (
            execution_id INTEGER NOT NULL,
            line_id      INTEGER NOT NULL,
            stream       INTEGER NOT NULL,
            timestamp_ms INTEGER NOT NULL,
            content      TEXT    NOT NULL,
            PRIMARY KEY (execution_id, line_id)
        ) WITHOUT ROWID;
        """,

        // 2: the state tree that xpath triggers watch, one JSON document.
        """
        CREATE TABLE state_tree (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            document TEXT    NOT NULL
        );
        """,

        // 3: secret environment entries, apart from the readable instance configuration.
        """
        CREATE TABLE instance_secrets (
            script_name   TEXT NOT NULL,
            instance_name TEXT NOT NULL,
            name          TEXT NOT NULL,
            value         TEXT NOT NULL,
            PRIMARY KEY (script_name, instance_name, name),
            FOREIGN KEY (script_name, instance_name) REFERENCES instances (script_name, name) ON DELETE CASCADE
        ) WITHOUT ROWID;
        """,

        // 4: stored data the daemon could not load, set aside (not deleted) so an operator can recover it.
        """
        CREATE TABLE quarantined_rows (
            id                    INTEGER PRIMARY KEY AUTOINCREMENT,
            source_table          TEXT    NOT NULL,
            row_key               TEXT    NOT NULL,
            reason                TEXT    NOT NULL,
            content               TEXT    NOT NULL,
            quarantined_timestamp INTEGER NOT NULL
        );
        """,

        // 5: lines the output budget dropped from an execution (each dropped section is stored as one marker line).
        """
        ALTER TABLE executions ADD COLUMN output_dropped_lines INTEGER NOT NULL DEFAULT 0;
        """,

        // 6: what a run's token may do, and the instance's resource limits (a JSON object; absent keys inherit).
        """
        ALTER TABLE instances ADD COLUMN role   TEXT NOT NULL DEFAULT 'operator';
        ALTER TABLE instances ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';
        """,

        // 7: lifecycle policy: enabled, restart (a JSON object, null: never), overlap, catch_up.
        """
        ALTER TABLE instances ADD COLUMN enabled  INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE instances ADD COLUMN restart  TEXT;
        ALTER TABLE instances ADD COLUMN overlap  TEXT    NOT NULL DEFAULT 'skip';
        ALTER TABLE instances ADD COLUMN catch_up INTEGER NOT NULL DEFAULT 0;
        """,

        // 8: output stored in chunks of consecutive lines (see OutputChunk); OutputChunkMigration then moves the
        // lines of output_lines into it and drops that table. streams: which streams the chunk holds, as bits.
        """
        CREATE TABLE output_chunks (
            execution_id INTEGER NOT NULL,
            first_line   INTEGER NOT NULL,
            line_count   INTEGER NOT NULL,
            streams      INTEGER NOT NULL,
            lines        BLOB    NOT NULL,
            PRIMARY KEY (execution_id, first_line)
        ) WITHOUT ROWID;
        """,
    ];

    // Steps whose data cannot move in SQL alone: run after the step's SQL, in its transaction.
    private static readonly Dictionary<int, Action<SqliteConnection, SqliteTransaction>> DataSteps = new()
    {
        [8] = OutputChunkMigration.Apply,
    };

    public static int Latest => Steps.Length;

    public static void Apply(SqliteConnection connection)
    {
        var current = connection.ExecuteScalar<int>("PRAGMA user_version;");
        if (current > Steps.Length)
        {
            throw new InvalidOperationException(
                $"the store's schema version {current} is newer than this daemon knows ({Steps.Length}); refusing to touch it");
        }

        for (var step = current; step < Steps.Length; step++)
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute(Steps[step], transaction: transaction);
            if (DataSteps.TryGetValue(step + 1, out var moveData))
            {
                moveData(connection, transaction);
            }

            // user_version takes no parameters; the number comes from this array, never from input.
            connection.Execute($"PRAGMA user_version = {step + 1};", transaction: transaction);
            transaction.Commit();
        }
    }
}
