using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ScriptExec.Benchmarks;

/// <summary>
/// Fills a store the daemon created (schema from its own migrations) with ended executions, through one prepared
/// INSERT in large transactions. The layout is deterministic, so every store size answers the same query shapes:
/// 10 scripts × 10 instances, 97 % finished / 3 % killed, exit code 42 on exactly every 200th execution.
/// </summary>
internal static class Seeder
{
    public const int Scripts = 10;
    public const int InstancesPerScript = 10;
    public const int RareExitCode = 42;
    public const int RareEvery = 200;
    private const int RowsPerTransaction = 50_000;

    private const string InsertSql = """
        INSERT INTO executions (script_name, instance_name, script_version, start_timestamp, start_trigger_type,
                                start_trigger_setting, start_trigger_username, state, arguments, duration_ms, exit_code,
                                stop_trigger_type, stop_trigger_setting, output_bytes, end_timestamp)
        VALUES ($script, $instance, 'seeded', $start, $trigger, $setting, $username, $state, $arguments, $duration, $exit,
                $stopType, $stopSetting, $outputBytes, $end);
        """;

    public static string ScriptName(int script) => string.Create(CultureInfo.InvariantCulture, $"bench-s{script}");

    public static string InstanceName(int instance) => string.Create(CultureInfo.InvariantCulture, $"i{instance}");

    /// <summary>Appends <paramref name="count"/> executions to the store at <paramref name="databasePath"/>; returns the time taken.</summary>
    public static TimeSpan Seed(string databasePath, int count)
    {
        var started = Stopwatch.GetTimestamp();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;");

        using var insert = connection.CreateCommand();
        insert.CommandText = InsertSql;
        var p = new Dictionary<string, SqliteParameter>();
        foreach (var name in new[] { "$script", "$instance", "$start", "$trigger", "$setting", "$username", "$state", "$arguments",
                     "$duration", "$exit", "$stopType", "$stopSetting", "$outputBytes", "$end" })
        {
            p[name] = insert.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        var random = new Random(20_260_401);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        SqliteTransaction? transaction = null;
        for (var i = 1; i <= count; i++)
        {
            if (transaction is null)
            {
                transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                insert.Prepare();
            }

            var instance = random.Next(Scripts * InstancesPerScript);
            var start = now - ((long)(count - i) * 10);
            var duration = random.Next(5, 5_000);
            var trigger = random.Next(10);
            var killed = i % RareEvery != 7 && random.Next(100) < 3;
            p["$script"].Value = ScriptName(instance / InstancesPerScript);
            p["$instance"].Value = InstanceName(instance % InstancesPerScript);
            p["$start"].Value = start;
            p["$trigger"].Value = trigger < 7 ? "schedule" : trigger < 9 ? "manual" : "xpath";
            p["$setting"].Value = trigger < 7 ? "*/5 * * * *" : trigger < 9 ? DBNull.Value : "/networking/eth0/link = 'up'";
            p["$username"].Value = trigger is 7 or 8 ? "admin" : DBNull.Value;
            p["$state"].Value = killed ? "killed" : "finished";
            p["$arguments"].Value = random.Next(4) == 0 ? "--verbose" : DBNull.Value;
            p["$duration"].Value = duration;
            p["$exit"].Value = killed ? -9 : i % RareEvery == 7 ? RareExitCode : random.Next(20) == 0 ? 1 : 0;
            p["$stopType"].Value = killed ? "system" : DBNull.Value;
            p["$stopSetting"].Value = killed ? "timeout" : DBNull.Value;
            p["$outputBytes"].Value = random.Next(4_096);
            p["$end"].Value = start + (duration / 1000);
            insert.ExecuteNonQuery();

            if (i % RowsPerTransaction == 0 || i == count)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = null;
                if (count >= 200_000 && i % 200_000 == 0)
                {
                    Progress.Say($"  seeded {i:N0} / {count:N0}");
                }
            }
        }

        // Fold the WAL back, as a cleanly stopped daemon leaves its store.
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        return Stopwatch.GetElapsedTime(started);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
