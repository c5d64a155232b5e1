using System.Globalization;

using ScriptExec.Core;
using ScriptExec.Rpc.Sessions;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Daemon;

/// <summary>
/// Everything scriptexecd can be told, from (later wins) embedded defaults, the <c>--config</c> JSON file,
/// <c>SCRIPTEXEC_*</c> environment variables and the command line. Keys are snake_case, as in the API:
/// <c>data_dir</c> is <c>--data-dir</c> on the command line and <c>SCRIPTEXEC_DATA_DIR</c> in the environment.
/// </summary>
public sealed class DaemonOptions
{
    public const string DefaultListen = "http://127.0.0.1:8765";

    /// <summary>SQLite file, script files and the generated admin token live here.</summary>
    public required string DataDirectory { get; init; }

    public required string SocketPath { get; init; }

    /// <summary>WebSocket endpoint base URL (http:// or https://), or null when disabled with <c>none</c>.</summary>
    public Uri? Listen { get; init; }

    public int MaxMessageBytes { get; init; } = RpcServerInfo.DefaultMaxMessageBytes;

    /// <summary>
    /// <c>max_connections</c> (default 1024): client connections served at once, Unix socket and WebSocket together.
    /// Every accepted connection counts, authenticated or not. One more is refused: on the Unix socket with one
    /// <c>-32603</c> line (reason <c>capacity</c>) and a close, on the WebSocket port with HTTP 503 and a close. Lowered
    /// at start to what the open-file limit leaves after the daemon's reserve (<see cref="DescriptorBudget"/>).
    /// </summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>
    /// <c>message_timeout_s</c> (default 30): how long a message that has started to arrive may take to complete
    /// (NDJSON: a partial line; WebSocket: a fragmented or slowly sent message) before its connection is closed.
    /// Idle connections with no message under way are never timed out: subscribers wait legitimately.
    /// </summary>
    public TimeSpan MessageTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxConcurrentExecutions { get; init; } = SupervisorOptions.DefaultMaxConcurrentExecutions;

    public long OutputMaxBytesPerExecution { get; init; } = SupervisorOptions.DefaultOutputMaxBytesPerExecution;

    public int OutputLineCapBytes { get; init; } = SupervisorOptions.DefaultOutputLineCapBytes;

    /// <summary><c>output_budget_bytes_per_s</c> and <c>output_budget_lines_per_s</c>: captured output kept over all scripts (0 turns a dimension off).</summary>
    public OutputBudgetOptions OutputBudget { get; init; } = new();

    public string StoreSynchronous { get; init; } = "NORMAL";

    /// <summary><c>limits</c>: resource limits every instance inherits for what it leaves out (SPEC "limits").</summary>
    public ResourceLimits DefaultLimits { get; init; } = ResourceLimits.Unlimited;

    /// <summary><c>workdir_quota_mb</c> (default 10, 0: none): the largest file a script may write where it works in its workdir.</summary>
    public int WorkdirQuotaMb { get; init; } = ResourceLimits.DefaultWorkdirQuotaMb;

    /// <summary>Per-execution cgroups: <c>auto</c> (under the daemon's own cgroup v2), <c>off</c>, or a cgroup v2 directory.</summary>
    public string Cgroup { get; init; } = "auto";

    /// <summary>Keep at most this many executions (0: no limit).</summary>
    public long RetentionMaxExecutions { get; init; } = RetentionOptions.DefaultMaxExecutions;

    /// <summary>Prune ended executions older than this many days (0: no limit).</summary>
    public int RetentionMaxAgeDays { get; init; }

    /// <summary>Keep at most this much stored output in all (0: no limit).</summary>
    public long RetentionMaxOutputBytes { get; init; } = RetentionOptions.DefaultMaxOutputBytes;

    /// <summary>How long shutdown may take: running scripts get their stop grace period within it.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra origins allowed to open the WebSocket besides the endpoint's own (browser UIs served elsewhere).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>
    /// <c>management_page</c> (default true): serve the management page at <c>/</c> on the WebSocket listener. It grants
    /// nothing by itself (the login is a token, checked by <c>authenticate</c>); off leaves only <c>/rpc</c>.
    /// </summary>
    public bool ManagementPage { get; init; } = true;

    /// <summary>Configured WebSocket tokens (<c>tokens: [{user, role, sha256}]</c>); none: the generated admin.token.</summary>
    public IReadOnlyList<TokenEntry> Tokens { get; init; } = [];

    /// <summary>Unix group → role for socket peers other than root and the daemon's user (<c>unix_roles</c>).</summary>
    public IReadOnlyDictionary<string, Role> UnixRoles { get; init; } = new Dictionary<string, Role>();

    /// <summary>Group that owns the socket file (mode 0660), so its members can connect (<c>socket_group</c>).</summary>
    public string? SocketGroup { get; init; }

    /// <summary>PEM certificate and key for an https:// listen URL (wss://).</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary><c>mqtt</c>: the MQTT channel (docs/MQTT.md); null: off.</summary>
    public Fleet.MqttOptions? Mqtt { get; init; }

    /// <summary><c>outbound</c>: the outbound WebSocket to a management server (docs/MQTT.md); null: off.</summary>
    public Fleet.OutboundOptions? Outbound { get; init; }
    /// <summary><c>metrics</c>: <c>GET /metrics</c> on or off, and on which listener.</summary>
    public MetricsOptions Metrics { get; init; } = new();

    public string DatabasePath => Path.Combine(DataDirectory, "scriptexec.db");

    public string ScriptDirectory => Path.Combine(DataDirectory, "scripts");

    /// <summary>Space held back for end and stop records, released when the data directory's file system is full.</summary>
    public string ReservePath => Path.Combine(DataDirectory, "reserve");

    public string AdminTokenPath => Path.Combine(DataDirectory, "admin.token");

    /// <summary>Command-line switches and the configuration keys they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--data-dir"] = "data_dir",
        ["--socket"] = "socket",
        ["--listen"] = "listen",
        ["--config"] = "config",
        ["--max-message-bytes"] = "max_message_bytes",
        ["--max-concurrent-executions"] = "max_concurrent_executions",
        ["--output-budget-bytes-per-s"] = "output_budget_bytes_per_s",
        ["--output-budget-lines-per-s"] = "output_budget_lines_per_s",
    };

    public static DaemonOptions From(IConfiguration configuration)
    {
        var dataDir = Path.GetFullPath(configuration["data_dir"] ?? DefaultDataDirectory());
        var listen = configuration["listen"] ?? DefaultListen;
        return new DaemonOptions
        {
            DataDirectory = dataDir,
            SocketPath = Path.GetFullPath(configuration["socket"] ?? DefaultSocketPath(dataDir)),
            Listen = ParseListen(listen),
            MaxMessageBytes = Int(configuration, "max_message_bytes", RpcServerInfo.DefaultMaxMessageBytes, 256, 64 * 1024 * 1024),
            MaxConcurrentExecutions = Int(configuration, "max_concurrent_executions", SupervisorOptions.DefaultMaxConcurrentExecutions, 1, 10_000),
            MaxConnections = Int(configuration, "max_connections", 1024, 1, 100_000),
            MessageTimeout = TimeSpan.FromSeconds(Int(configuration, "message_timeout_s", 30, 1, 3600)),
            OutputMaxBytesPerExecution = Int(configuration, "output_max_bytes_per_execution", (int)SupervisorOptions.DefaultOutputMaxBytesPerExecution, 0, int.MaxValue),
            OutputLineCapBytes = Int(configuration, "output_line_cap_bytes", SupervisorOptions.DefaultOutputLineCapBytes, 64, 1024 * 1024),
            OutputBudget = new OutputBudgetOptions(
                Int(configuration, "output_budget_bytes_per_s", new OutputBudgetOptions().BytesPerSecond, 0, int.MaxValue),
                Int(configuration, "output_budget_lines_per_s", new OutputBudgetOptions().LinesPerSecond, 0, int.MaxValue)),
            StoreSynchronous = (configuration["store_synchronous"] ?? "NORMAL").ToUpperInvariant(),
            Cgroup = configuration["cgroup"] is { Length: > 0 } cgroup
                ? (cgroup is "auto" or "off" || Path.IsPathRooted(cgroup) ? cgroup : throw new OptionsException($"cgroup: '{cgroup}' is not auto, off or an absolute path"))
                : "auto",
            RetentionMaxExecutions = Int(configuration, "retention_max_executions", (int)RetentionOptions.DefaultMaxExecutions, 0, int.MaxValue),
            RetentionMaxAgeDays = Int(configuration, "retention_max_age_days", 0, 0, 36_500),
            RetentionMaxOutputBytes = Long(configuration, "retention_max_output_bytes", RetentionOptions.DefaultMaxOutputBytes),
            DefaultLimits = ReadLimits(configuration),
            WorkdirQuotaMb = Int(configuration, "workdir_quota_mb", ResourceLimits.DefaultWorkdirQuotaMb, 0, LimitKinds.MaxMebibytes),
            ShutdownTimeout = TimeSpan.FromSeconds(Int(configuration, "shutdown_timeout_s", 30, 1, 3600)),
            AllowedOrigins = configuration.GetSection("allowed_origins").GetChildren().Select(c => c.Value!).Where(v => v is not null).ToArray(),
            Tokens = ReadTokens(configuration),
            ManagementPage = Bool(configuration, "management_page", true),
            UnixRoles = configuration.GetSection("unix_roles").GetChildren().ToDictionary(
                c => c.Key,
                c => Roles.TryParse(c.Value, out var role) ? role : throw new OptionsException($"unix_roles.{c.Key}: '{c.Value}' is not viewer, operator or admin")),
            SocketGroup = configuration["socket_group"],
            TlsCertificate = configuration["tls_certificate"],
            TlsKey = configuration["tls_key"],
            Mqtt = Fleet.FleetOptionsReader.ReadMqtt(configuration),
            Outbound = Fleet.FleetOptionsReader.ReadOutbound(configuration),
            Metrics = MetricsOptions.From(configuration.GetSection("metrics")),
        }.Validated();
    }

    private DaemonOptions Validated()
    {
        if (Listen?.Scheme == "https" && (TlsCertificate is null || TlsKey is null))
        {
            throw new OptionsException("listen: an https:// URL needs tls_certificate and tls_key (PEM files)");
        }

        if (Metrics.Listen is { } metrics && Listen is { } listen && metrics.Port == listen.Port)
        {
            throw new OptionsException($"metrics.listen: port {metrics.Port} is the WebSocket listener's; leave metrics.listen out to serve /metrics there");
        }

        if (SocketGroup is not null && Supervisor.UnixAccounts.GroupId(SocketGroup) is null)
        {
            throw new OptionsException($"socket_group: group '{SocketGroup}' does not exist");
        }

        return this;
    }

    private static List<TokenEntry> ReadTokens(IConfiguration configuration)
    {
        var tokens = new List<TokenEntry>();
        foreach (var entry in configuration.GetSection("tokens").GetChildren())
        {
            var key = $"tokens[{entry.Key}]";
            var user = entry["user"] is { Length: > 0 } u ? u : throw new OptionsException($"{key}.user is required");
            var role = Roles.TryParse(entry["role"], out var r) ? r : throw new OptionsException($"{key}.role must be viewer, operator or admin");
            var hex = entry["sha256"];
            byte[] hash;
            try
            {
                hash = Convert.FromHexString(hex ?? "");
            }
            catch (FormatException)
            {
                hash = [];
            }

            tokens.Add(hash.Length == 32
                ? new TokenEntry(user, role, hash)
                : throw new OptionsException($"{key}.sha256 must be the 64 hex digits of the token's SHA-256 (printf %s TOKEN | sha256sum)"));
        }

        return tokens;
    }

    /// <summary>root: /var/lib/scriptexec; others: $XDG_DATA_HOME/scriptexec (~/.local/share/scriptexec).</summary>
    public static string DefaultDataDirectory()
    {
        if (Supervisor.UnixAccounts.IsRoot)
        {
            return "/var/lib/scriptexec";
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "scriptexec");
    }

    /// <summary>root: /run/scriptexec/scriptexecd.sock; others: $XDG_RUNTIME_DIR/scriptexec/… or the data dir.</summary>
    public static string DefaultSocketPath(string dataDirectory)
    {
        if (Supervisor.UnixAccounts.IsRoot)
        {
            return "/run/scriptexec/scriptexecd.sock";
        }

        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(runtime) || !Directory.Exists(runtime)
            ? Path.Combine(dataDirectory, "scriptexecd.sock")
            : Path.Combine(runtime, "scriptexec", "scriptexecd.sock");
    }

    private static Uri? ParseListen(string value)
    {
        if (value.Equals("none", StringComparison.OrdinalIgnoreCase) || value.Length == 0)
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
        {
            throw new OptionsException($"listen: '{value}' is not an http:// or https:// base URL such as {DefaultListen} (or 'none')");
        }

        // Kestrel binds addresses, not names: a host name would bind whatever it resolves to at start.
        if (uri.Host != "localhost" && !System.Net.IPAddress.TryParse(uri.Host, out _))
        {
            throw new OptionsException($"listen: '{uri.Host}' must be an IP address (such as 127.0.0.1, 0.0.0.0 or [::1]) or localhost");
        }

        return uri;
    }

    /// <summary><c>limits</c>: the daemon-wide defaults, limit name → number (or null/empty for unlimited).</summary>
    private static ResourceLimits ReadLimits(IConfiguration configuration)
    {
        var wire = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var entry in configuration.GetSection("limits").GetChildren())
        {
            wire[entry.Key] = entry.Value is null or "" or "null" ? null
                : long.TryParse(entry.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
                : throw new OptionsException($"limits.{entry.Key}: '{entry.Value}' must be an integer or null");
        }

        try
        {
            return ResourceLimits.Resolve(LimitOverrides.FromWire(wire), ResourceLimits.Unlimited, workdirQuotaMb: null);
        }
        catch (InvalidParameterException e)
        {
            throw new OptionsException($"{e.Field} {e.Reason}");
        }
    }

    private static long Long(IConfiguration configuration, string key, long fallback)
    {
        var text = configuration[key];
        if (text is null)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new OptionsException($"{key}: '{text}' must be a non-negative integer");
    }

    private static bool Bool(IConfiguration configuration, string key, bool fallback) => configuration[key] switch
    {
        null => fallback,
        var text when bool.TryParse(text, out var value) => value,
        var text => throw new OptionsException($"{key}: '{text}' must be true or false"),
    };

    private static int Int(IConfiguration configuration, string key, int fallback, int min, int max)
    {
        var text = configuration[key];
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new OptionsException($"{key}: '{text}' must be an integer between {min} and {max}");
    }
}

/// <summary>A configuration value is wrong; the message names the key.</summary>
public sealed class OptionsException : Exception
{
    public OptionsException(string message)
        : base(message)
    {
    }

    public OptionsException()
    {
    }

    public OptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
