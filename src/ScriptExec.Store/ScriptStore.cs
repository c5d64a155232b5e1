using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>Scripts (current source and version) and their instances.</summary>
public sealed partial class ScriptStore
{
    private const string SelectScriptSql =
        "SELECT name, source, version, description, updated_timestamp FROM scripts WHERE name = @name;";

    private const string SelectScriptsSql =
        "SELECT name, source, version, description, updated_timestamp FROM scripts ORDER BY name;";

    private const string UpsertScriptSql = """
        INSERT INTO scripts (name, version, source, description, updated_timestamp)
        VALUES (@Name, @Version, @Source, @Description, @UpdatedTimestamp)
        ON CONFLICT (name) DO UPDATE SET
            version = excluded.version, source = excluded.source,
            description = excluded.description, updated_timestamp = excluded.updated_timestamp;
        """;

    // Executions of any other version are outdated from now on, even if the source later changes back.
    private const string MarkOutdatedSql =
        "UPDATE executions SET outdated = 1 WHERE script_name = @name AND outdated = 0 AND script_version <> @version;";

    private const string MarkAllOutdatedSql =
        "UPDATE executions SET outdated = 1 WHERE script_name = @name AND outdated = 0;";

    private const string DeleteScriptSql = "DELETE FROM scripts WHERE name = @name;";

    private const string InstanceColumns = """
        script_name, name, arguments, env, working_dir, run_as_user, timeout_s, stop_grace_s,
        start_trigger_type, start_trigger_setting, stop_trigger_type, stop_trigger_setting, updated_timestamp, role, limits,
        enabled, restart, overlap, catch_up
        """;

    private const string SelectInstanceSql =
        $"SELECT {InstanceColumns} FROM instances WHERE script_name = @scriptName AND name = @name;";

    private const string SelectInstancesSql =
        $"SELECT {InstanceColumns} FROM instances ORDER BY script_name, name;";

    private const string UpsertInstanceSql = """
        INSERT INTO instances (script_name, name, arguments, env, working_dir, run_as_user, timeout_s, stop_grace_s,
                               start_trigger_type, start_trigger_setting, stop_trigger_type, stop_trigger_setting, updated_timestamp,
                               role, limits, enabled, restart, overlap, catch_up)
        VALUES (@ScriptName, @Name, @Arguments, @Env, @WorkingDir, @RunAsUser, @TimeoutS, @StopGraceS,
                @StartTriggerType, @StartTriggerSetting, @StopTriggerType, @StopTriggerSetting, @UpdatedTimestamp,
                @Role, @Limits, @Enabled, @Restart, @Overlap, @CatchUp)
        ON CONFLICT (script_name, name) DO UPDATE SET
            arguments = excluded.arguments, env = excluded.env, working_dir = excluded.working_dir,
            run_as_user = excluded.run_as_user, timeout_s = excluded.timeout_s, stop_grace_s = excluded.stop_grace_s,
            start_trigger_type = excluded.start_trigger_type, start_trigger_setting = excluded.start_trigger_setting,
            stop_trigger_type = excluded.stop_trigger_type, stop_trigger_setting = excluded.stop_trigger_setting,
            updated_timestamp = excluded.updated_timestamp, role = excluded.role, limits = excluded.limits,
            enabled = excluded.enabled, restart = excluded.restart, overlap = excluded.overlap,
            catch_up = excluded.catch_up;
        """;

    private const string DeleteInstanceSql = "DELETE FROM instances WHERE script_name = @scriptName AND name = @name;";

    // The start path's one read: script, instance and secret values in a single statement. The LEFT JOIN tells a
    // missing script (no row) from a missing instance (a row whose instance columns are null).
    // One row per start: the script's columns under script_* names, the instance's under its own, flat, so that the
    // build-time mapper (Dapper.AOT) reads it without a multi-map. Without an instance (has_instance = 0) its
    // non-null columns read as placeholders: the generated reader does not take NULL for a non-nullable member.
    private const string InstanceExistsSql = "SELECT EXISTS (SELECT 1 FROM instances WHERE script_name = @scriptName AND name = @name);";

    private const string SelectSecretsSql =
        "SELECT name, value FROM instance_secrets WHERE script_name = @scriptName AND instance_name = @name ORDER BY name;";

    private const string SelectAllSecretNamesSql =
        "SELECT script_name, instance_name, name FROM instance_secrets ORDER BY script_name, instance_name, name;";

    private const string DeleteSecretsSql = "DELETE FROM instance_secrets WHERE script_name = @scriptName AND instance_name = @name;";

    private const string InsertSecretSql =
        "INSERT INTO instance_secrets (script_name, instance_name, name, value) VALUES (@scriptName, @name, @key, @value);";

    private readonly SqliteDatabase _db;
    private readonly UnloadableRows _unloadable;

    public ScriptStore(SqliteDatabase db, UnloadableRows unloadable)
    {
        _db = db;
        _unloadable = unloadable;
    }

    public ScriptDefinition? GetScript(string name)
    {
        using var connection = _db.OpenRead();
        return connection.QuerySingleOrDefault<ScriptRow>(SelectScriptSql, new { name }) is { } row && Loadable(row) ? row.ToDefinition() : null;
    }

    /// <summary>All scripts that load; the others are reported to <see cref="UnloadableRows"/> and left out.</summary>
    public IReadOnlyList<ScriptDefinition> ListScripts()
    {
        using var connection = _db.OpenRead();
        return [.. connection.Query<ScriptRow>(SelectScriptsSql).Where(Loadable).Select(r => r.ToDefinition())];
    }

    /// <summary>Stores <paramref name="script"/> as the current version and marks older executions outdated.</summary>
    public Task SetScriptAsync(ScriptDefinition script, CancellationToken cancellationToken) =>
        _db.WriteAsync(
            (c, t) =>
            {
                c.Execute(UpsertScriptSql, script, t);
                return c.Execute(MarkOutdatedSql, new { name = script.Name, version = script.Version }, t);
            },
            cancellationToken,
            _ => CatalogChanged());

    /// <summary>Deletes the script and its instances; its executions stay, outdated. False when it did not exist.</summary>
    public Task<bool> DeleteScriptAsync(string name, CancellationToken cancellationToken) =>
        _db.WriteAsync(
            (c, t) =>
            {
                var deleted = c.Execute(DeleteScriptSql, new { name }, t) > 0;
                c.Execute(MarkAllOutdatedSql, new { name }, t);
                return deleted;
            },
            cancellationToken,
            _ =>
            {
                CatalogChanged();

                // What no longer exists is no longer unloadable.
                _unloadable.Clear("script", name);
                _unloadable.ClearPrefix(InstanceKind, name + "/");
            });

    /// <summary>
    /// An instance; secret values are masked unless <paramref name="withSecrets"/> (the spawn path only). One stored in a
    /// form that cannot be loaded is a <see cref="ErrorKind.Conflict"/> saying how to get out of it.
    /// </summary>
    public InstanceDefinition? GetInstance(string scriptName, string name, bool withSecrets = false)
    {
        using var connection = _db.OpenRead();
        if (connection.QuerySingleOrDefault<InstanceRow>(SelectInstanceSql, new { scriptName, name }) is not { } row)
        {
            return null;
        }

        var instance = Load(row) ?? throw Unloadable(scriptName, name);

        var secrets = connection.Query<SecretRow>(SelectSecretsSql, new { scriptName, name })
            .ToDictionary(s => s.Name, s => withSecrets ? s.Value : InstanceDefinition.SecretMask, StringComparer.Ordinal);
        return instance with { SecretEnvironment = secrets };
    }

    /// <summary>All instances that load, secret values masked; the others are reported to <see cref="UnloadableRows"/> and left out.</summary>
    public IReadOnlyList<InstanceDefinition> ListInstances()
    {
        using var connection = _db.OpenRead();
        var secrets = connection.Query<SecretNameRow>(SelectAllSecretNamesSql)
            .ToLookup(s => (s.ScriptName, s.InstanceName), s => s.Name);
        return [.. connection.Query<InstanceRow>(SelectInstancesSql).Select(Load).OfType<InstanceDefinition>().Select(i => i with
        {
            SecretEnvironment = secrets[(i.ScriptName, i.InstanceName)].ToDictionary(n => n, _ => InstanceDefinition.SecretMask, StringComparer.Ordinal),
        })];
    }

    /// <summary>True when the instance is stored, whether or not it loads.</summary>
    public bool InstanceExists(string scriptName, string name)
    {
        using var connection = _db.OpenRead();
        return connection.ExecuteScalar<bool>(InstanceExistsSql, new { scriptName, name });
    }

    /// <summary>Stores the instance, its secrets in their own table (replacing the previous set).</summary>
    public Task SetInstanceAsync(InstanceDefinition instance, CancellationToken cancellationToken) =>
        _db.WriteAsync<int>((c, t) =>
        {
            try
            {
                c.Execute(UpsertInstanceSql, InstanceRow.From(instance), t);
            }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintForeignKey)
            {
                // Its script was deleted after the caller checked that it exists.
                throw new ScriptExecException(ErrorKind.NotFound, $"script '{instance.ScriptName}' does not exist");
            }

            var keys = new { scriptName = instance.ScriptName, name = instance.InstanceName };
            c.Execute(DeleteSecretsSql, keys, t);
            foreach (var (key, value) in instance.SecretEnvironment)
            {
                c.Execute(InsertSecretSql, new { keys.scriptName, keys.name, key, value }, t);
            }

            return 0;
        }, cancellationToken, _ =>
        {
            CatalogChanged();
            _unloadable.Clear(InstanceKind, instance.ScriptName + "/" + instance.InstanceName);
        });

    public Task<bool> DeleteInstanceAsync(string scriptName, string name, CancellationToken cancellationToken) =>
        _db.WriteAsync(
            (c, t) => c.Execute(DeleteInstanceSql, new { scriptName, name }, t) > 0,
            cancellationToken,
            _ =>
            {
                CatalogChanged();
                _unloadable.Clear(InstanceKind, scriptName + "/" + name);
            });

    private const string InstanceKind = "instance";

    // SQLITE_CONSTRAINT_FOREIGNKEY: an instance row whose script row is gone.
    private const int SqliteConstraintForeignKey = 787;

    private static ScriptExecException Unloadable(string scriptName, string name) => new(ErrorKind.Conflict,
        $"instance '{name}' of script '{scriptName}' is stored in a form this daemon cannot load (see status.store.unloadable_rows); "
        + "set it again with script_instance_set or delete it");

    private bool Loadable(ScriptRow row)
    {
        var problem = !Names.IsValid(row.Name) ? "its name " + Names.Rule
            : row.Source.Contains('\0', StringComparison.Ordinal) ? "its source contains NUL characters"
            : null;
        if (problem is null)
        {
            _unloadable.Clear("script", row.Name);
            return true;
        }

        _unloadable.Report("script", row.Name, problem);
        return false;
    }

    /// <summary>The instance a row describes, or null (reported) when the row cannot be one.</summary>
    private InstanceDefinition? Load(InstanceRow row)
    {
        var key = row.ScriptName + "/" + row.Name;
        try
        {
            if (!Names.IsValid(row.ScriptName) || !Names.IsValid(row.Name))
            {
                throw new InvalidDataException("its script or instance name " + Names.Rule);
            }

            var instance = row.ToDefinition();
            _unloadable.Clear(InstanceKind, key);
            return instance;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException or InvalidParameterException)
        {
            _unloadable.Report(InstanceKind, key, e.Message);
            return null;
        }
    }

    internal sealed record ScriptRow(string Name, string Source, string Version, string? Description, long UpdatedTimestamp)
    {
        public ScriptDefinition ToDefinition() => new(Name, Source, Version, Description, UpdatedTimestamp);
    }

    /// <summary>The runnable query's row: an instance row (empty when <see cref="HasInstance"/> is false) and its script.</summary>
    internal sealed class RunnableRow : InstanceRow
    {
        public string? ScriptSource { get; init; }

        public string? ScriptVersion { get; init; }

        public string? ScriptDescription { get; init; }

        public long ScriptUpdatedTimestamp { get; init; }

        public bool HasInstance { get; init; }

        public ScriptRow? Script => ScriptSource is null || ScriptVersion is null
            ? null
            : new ScriptRow(ScriptName, ScriptSource, ScriptVersion, ScriptDescription, ScriptUpdatedTimestamp);
    }

    internal class InstanceRow
    {
        public string ScriptName { get; init; } = "";

        public string Name { get; init; } = "";

        public string? Arguments { get; init; }

        public string Env { get; init; } = "{}";

        public string? WorkingDir { get; init; }

        public string? RunAsUser { get; init; }

        public long? TimeoutS { get; init; }

        public long StopGraceS { get; init; }

        public string StartTriggerType { get; init; } = "manual";

        public string? StartTriggerSetting { get; init; }

        public string? StopTriggerType { get; init; }

        public string? StopTriggerSetting { get; init; }

        public long UpdatedTimestamp { get; init; }

        public string Role { get; init; } = "operator";

        public string Limits { get; init; } = "{}";

        public long Enabled { get; init; } = 1;

        /// <summary>The restart policy as a JSON object; null: never restarted.</summary>
        public string? Restart { get; init; }

        public string Overlap { get; init; } = "skip";

        public long CatchUp { get; init; }

        /// <summary>Secret values as a JSON object; only the runnable query selects them.</summary>
        public string? Secrets { get; init; }

        public static InstanceRow From(InstanceDefinition d) => new()
        {
            ScriptName = d.ScriptName,
            Name = d.InstanceName,
            Arguments = d.Arguments,
            Env = JsonSerializer.Serialize(d.Environment, StoreJson.Default.IReadOnlyDictionaryStringString),
            WorkingDir = d.WorkingDirectory,
            RunAsUser = d.User,
            TimeoutS = d.TimeoutSeconds,
            StopGraceS = d.StopGraceSeconds,
            StartTriggerType = d.StartTrigger.Type.ToStored(),
            StartTriggerSetting = d.StartTrigger.Setting,
            StopTriggerType = d.StopTrigger?.Type.ToStored(),
            StopTriggerSetting = d.StopTrigger?.Setting,
            UpdatedTimestamp = d.UpdatedTimestamp,
            Role = d.Role.ToWire(),
            Limits = JsonSerializer.Serialize(d.Limits.ToWire(), StoreJson.Default.IReadOnlyDictionaryStringNullableInt32),
            Enabled = d.Enabled ? 1 : 0,
            Restart = d.Restart is { } restart ? JsonSerializer.Serialize(StoredRestart.From(restart), StoreJson.Default.StoredRestart) : null,
            Overlap = d.Overlap.ToWire(),
            CatchUp = d.CatchUp ? 1 : 0,
        };

        public InstanceDefinition ToDefinition() => new()
        {
            ScriptName = ScriptName,
            InstanceName = Name,
            Arguments = Arguments,
            Environment = JsonSerializer.Deserialize(Env, StoreJson.Default.DictionaryStringString) ?? [],
            WorkingDirectory = WorkingDir,
            User = RunAsUser,
            TimeoutSeconds = (int?)TimeoutS,
            StopGraceSeconds = (int)StopGraceS,
            StartTrigger = new TriggerDefinition(StoreMapping.ParseTrigger(StartTriggerType), StartTriggerSetting),
            StopTrigger = StopTriggerType is null ? null : new TriggerDefinition(StoreMapping.ParseTrigger(StopTriggerType), StopTriggerSetting),
            UpdatedTimestamp = UpdatedTimestamp,
            Role = Roles.TryParse(Role, out var role) && role != Core.Role.None ? role : throw new InvalidDataException($"unknown role '{Role}'"),
            Limits = LimitOverrides.FromWire(JsonSerializer.Deserialize(Limits, StoreJson.Default.DictionaryStringNullableInt64) ?? []),
            Enabled = Enabled != 0,
            Restart = Restart is null ? null
                : (JsonSerializer.Deserialize(Restart, StoreJson.Default.StoredRestart) ?? throw new InvalidDataException("restart is null")).ToPolicy(),
            Overlap = OverlapPolicies.TryParse(Overlap, out var overlap) ? overlap : throw new InvalidDataException($"unknown overlap '{Overlap}'"),
            CatchUp = CatchUp != 0,
        };
    }
}
