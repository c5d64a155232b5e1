using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using StreamJsonRpc;

namespace ScriptExec.Benchmarks;

/// <summary>
/// The short-script floor of the fixed stack: the least a daemon built on it does per run, and nothing more. A run
/// is one <c>script_start</c> over StreamJsonRpc on a Unix socket (NDJSON), a start row committed in SQLite (WAL,
/// <c>synchronous=NORMAL</c>), the script spawned by <see cref="Process.Start(ProcessStartInfo)"/> with its stdout
/// and stderr on pipes drained to the end, an end row committed, an <c>execution_changed</c> notification, and the
/// <c>script_execution_get</c> the benchmark's client makes to see the row. No cgroup, no hold before exec, no
/// output stored, no crash recovery, no limits, no authorization: whatever scriptexecd does beyond this only adds.
/// It runs as a child process of the benchmark (<c>--stack-floor-server DIR</c>), as a daemon would.
/// </summary>
internal sealed class StackFloorServer : IDisposable
{
    public const string Flag = "--stack-floor-server";
    public const string SocketName = "floor.sock";

    private readonly string _directory;
    private readonly SqliteConnection _db;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _finish;
    private readonly SqliteCommand _newest;
    private readonly Lock _dbLock = new();
    private readonly ConcurrentDictionary<string, string> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<JsonRpc, HashSet<string>> _subscribers = new();

    private StackFloorServer(string directory)
    {
        _directory = directory;
        _db = new SqliteConnection($"Data Source={Path.Combine(directory, "floor.db")}");
        _db.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS executions (
                id INTEGER PRIMARY KEY, script_name TEXT NOT NULL, instance_name TEXT NOT NULL, state TEXT NOT NULL,
                start_timestamp INTEGER NOT NULL, exit_code INTEGER, duration INTEGER, end_timestamp INTEGER);
            CREATE INDEX IF NOT EXISTS executions_instance ON executions (script_name, instance_name, id);
            """);
        _insert = Prepare(
            "INSERT INTO executions (script_name, instance_name, state, start_timestamp) VALUES ($s, $i, 'running', $t) RETURNING id",
            "$s", "$i", "$t");
        _finish = Prepare(
            "UPDATE executions SET state = 'finished', exit_code = $c, duration = $d, end_timestamp = $t WHERE id = $id",
            "$c", "$d", "$t", "$id");
        _newest = Prepare(
            "SELECT id, state, exit_code, duration FROM executions WHERE script_name = $s AND instance_name = $i ORDER BY id DESC LIMIT 1",
            "$s", "$i");
    }

    /// <summary>Serves on <c>DIR/floor.sock</c> until stdin closes (the benchmark ends it that way, or by a kill).</summary>
    public static async Task<int> RunAsync(string directory)
    {
        using var server = new StackFloorServer(directory);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(directory, SocketName)));
        listener.Listen(64);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                server.Serve(await listener.AcceptAsync());
            }
        });
        await Console.In.ReadToEndAsync();
        return 0;
    }

    public void Dispose()
    {
        _insert.Dispose();
        _finish.Dispose();
        _newest.Dispose();
        _db.Dispose();
    }

    private void Serve(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        var rpc = new JsonRpc(new NewLineDelimitedMessageHandler(stream, stream, new SystemTextJsonFormatter()));
        rpc.AddLocalRpcTarget(new Methods(this, rpc), new JsonRpcTargetOptions { UseSingleObjectParameterDeserialization = true });
        rpc.Disconnected += (_, _) => _subscribers.TryRemove(rpc, out _);
        rpc.StartListening();
    }

    private JsonObject Start(string script, string instance)
    {
        var key = script + "/" + instance;
        var path = _scripts.TryGetValue(script, out var p) ? p : throw new LocalRpcException($"script_name: no script {script}") { ErrorCode = -32602 };
        if (!_running.TryAdd(key, 0))
        {
            throw new LocalRpcException($"instance {key} is running") { ErrorCode = -32000 };
        }

        long id;
        lock (_dbLock)
        {
            using var transaction = _db.BeginTransaction();
            _insert.Transaction = transaction;
            _insert.Parameters[0].Value = script;
            _insert.Parameters[1].Value = instance;
            _insert.Parameters[2].Value = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            id = (long)_insert.ExecuteScalar()!;
            transaction.Commit();
        }

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        _ = FollowAsync(process, key, script, instance, id, started);
        return new JsonObject { ["execution"] = Row(id, script, instance, "running", null, null) };
    }

    private async Task FollowAsync(Process process, string key, string script, string instance, long id, long started)
    {
        using (process)
        {
            await Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync(), process.WaitForExitAsync());
            var duration = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            lock (_dbLock)
            {
                using var transaction = _db.BeginTransaction();
                _finish.Transaction = transaction;
                _finish.Parameters[0].Value = process.ExitCode;
                _finish.Parameters[1].Value = duration;
                _finish.Parameters[2].Value = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                _finish.Parameters[3].Value = id;
                _finish.ExecuteNonQuery();
                transaction.Commit();
            }

            _running.TryRemove(key, out _);
            var changed = new JsonObject { ["execution"] = Row(id, script, instance, "finished", process.ExitCode, duration) };
            foreach (var (rpc, keys) in _subscribers)
            {
                bool subscribed;
                lock (keys)
                {
                    subscribed = keys.Contains(key);
                }

                if (subscribed)
                {
                    await rpc.NotifyWithParameterObjectAsync("execution_changed", changed);
                }
            }
        }
    }

    private JsonObject Newest(string script, string instance)
    {
        var executions = new JsonArray();
        lock (_dbLock)
        {
            _newest.Parameters[0].Value = script;
            _newest.Parameters[1].Value = instance;
            using var reader = _newest.ExecuteReader();
            if (reader.Read())
            {
                executions.Add(Row(
                    reader.GetInt64(0), script, instance, reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
            }
        }

        return new JsonObject { ["executions"] = executions };
    }

    private static JsonObject Row(long id, string script, string instance, string state, int? exitCode, long? duration) => new()
    {
        ["id"] = id,
        ["script_name"] = script,
        ["instance_name"] = instance,
        ["state"] = state,
        ["exit_code"] = exitCode,
        ["duration"] = duration,
    };

    private void Execute(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _db.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        return command;
    }

    /// <summary>The methods the benchmark's client calls, with the params it sends; anything else is method-not-found.</summary>
    private sealed class Methods(StackFloorServer server, JsonRpc rpc)
    {
        [JsonRpcMethod("script_set")]
        public JsonObject ScriptSet(JsonElement p)
        {
            var name = p.GetProperty("name").GetString()!;
            var path = Path.Combine(server._directory, name + ".sh");
            File.WriteAllText(path, p.GetProperty("source").GetString());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            server._scripts[name] = path;
            return [];
        }

        [JsonRpcMethod("script_instance_set")]
        public JsonObject InstanceSet(JsonElement p) => server._scripts.ContainsKey(p.GetProperty("script_name").GetString()!)
            ? []
            : throw new LocalRpcException("script_name: no such script") { ErrorCode = -32602 };

        [JsonRpcMethod("execution_subscribe")]
        public JsonObject Subscribe(JsonElement p)
        {
            var keys = server._subscribers.GetOrAdd(rpc, _ => []);
            lock (keys)
            {
                foreach (var (script, instance) in Instances(p))
                {
                    keys.Add(script + "/" + instance);
                }
            }

            return [];
        }

        [JsonRpcMethod("script_start")]
        public JsonObject Start(JsonElement p) =>
            server.Start(p.GetProperty("script_name").GetString()!, p.GetProperty("instance_name").GetString()!);

        [JsonRpcMethod("script_execution_get")]
        public JsonObject Get(JsonElement p) => Instances(p).FirstOrDefault() is ({ } script, { } instance)
            ? server.Newest(script, instance)
            : new JsonObject { ["executions"] = new JsonArray() };

        private static IEnumerable<(string? Script, string? Instance)> Instances(JsonElement p) =>
            from i in p.GetProperty("filter").GetProperty("instances").EnumerateArray()
            from name in i.GetProperty("instance_names").EnumerateArray()
            select (i.GetProperty("script_name").GetString(), name.GetString());
    }
}
