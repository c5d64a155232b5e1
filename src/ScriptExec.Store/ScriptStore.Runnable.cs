using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>What a start runs: the script with its instance, read once while the catalog is unchanged.</summary>
public sealed partial class ScriptStore
{
    private const string SelectRunnableSql = """
        SELECT s.name AS script_name, s.source AS script_source, s.version AS script_version,
               s.description AS script_description, s.updated_timestamp AS script_updated_timestamp,
               i.name IS NOT NULL AS has_instance,
               COALESCE(i.name, '') AS name, i.arguments, COALESCE(i.env, '{}') AS env, i.working_dir, i.run_as_user,
               i.timeout_s, COALESCE(i.stop_grace_s, 0) AS stop_grace_s,
               COALESCE(i.start_trigger_type, 'manual') AS start_trigger_type, i.start_trigger_setting,
               i.stop_trigger_type, i.stop_trigger_setting, COALESCE(i.updated_timestamp, 0) AS updated_timestamp,
               COALESCE(i.role, 'operator') AS role, COALESCE(i.limits, '{}') AS limits, COALESCE(i.enabled, 1) AS enabled,
               i.restart, COALESCE(i.overlap, 'skip') AS overlap, COALESCE(i.catch_up, 0) AS catch_up,
               (SELECT json_group_object(x.name, x.value) FROM instance_secrets x
                 WHERE x.script_name = s.name AND x.instance_name = @name) AS secrets
        FROM scripts s LEFT JOIN instances i ON i.script_name = s.name AND i.name = @name
        WHERE s.name = @scriptName;
        """;

    // What GetRunnable last read of each instance, and the catalog generation it read it at: a start (a schedule's,
    // a restart loop's) needs no statement while the catalog is unchanged. Every committed change of a script, an
    // instance or a secret moves the generation on after its commit, so nothing read before a change is used after
    // it. Instances with secrets are read every time (their values stay out of a long-lived cache), and so are
    // scripts larger than this. The instances of one script share one copy of it (_runnableScripts), so the cache
    // holds each small script's source once, however many of its instances have run.
    private const int CachedSourceChars = 64 * 1024;
    private readonly ConcurrentDictionary<(string Script, string Instance), CachedRunnable> _runnable = new();
    private readonly ConcurrentDictionary<string, CachedScript> _runnableScripts = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>
    /// The script and the instance (with its secret values, for the spawn path) in one statement. Null script: the
    /// script does not exist (or does not load); null instance: the instance does not exist. An instance that does
    /// not load is a <see cref="ErrorKind.Conflict"/>, as in <see cref="GetInstance"/>.
    /// </summary>
    public (ScriptDefinition? Script, InstanceDefinition? Instance) GetRunnable(string scriptName, string name)
    {
        var generation = Interlocked.Read(ref _generation);
        if (_runnable.TryGetValue((scriptName, name), out var cached) && cached.Generation == generation)
        {
            return (cached.Script, cached.Instance);
        }

        using var connection = _db.OpenRead();
        var found = connection.QuerySingleOrDefault<RunnableRow>(SelectRunnableSql, new { scriptName, name });
        if (found is null || found.Script is not { } scriptRow || !Loadable(scriptRow))
        {
            return (null, null);
        }

        var script = scriptRow.ToDefinition();
        if (!found.HasInstance)
        {
            return (script, null);
        }

        var instance = Load(found) ?? throw Unloadable(scriptName, name);
        var secrets = found.Secrets is null ? [] : JsonSerializer.Deserialize(found.Secrets, StoreJson.Default.DictionaryStringString) ?? [];
        instance = instance with { SecretEnvironment = secrets };
        if (secrets.Count == 0 && script.Source.Length <= CachedSourceChars)
        {
            // A copy read at the same generation is the same script, and stands for this one; the newer one is kept.
            var kept = _runnableScripts.AddOrUpdate(
                scriptName,
                static (_, read) => read,
                static (_, before, read) => before.Generation >= read.Generation ? before : read,
                new CachedScript(generation, script));
            script = kept.Generation == generation ? kept.Script : script;
            _runnable[(scriptName, name)] = new CachedRunnable(generation, script, instance);
        }

        return (script, instance);
    }

    /// <summary>After the commit of a catalog change: no runnable read before it is used again (see <see cref="_runnable"/>).</summary>
    private void CatalogChanged()
    {
        Interlocked.Increment(ref _generation);
        _runnable.Clear();
        _runnableScripts.Clear();
    }

    private sealed record CachedRunnable(long Generation, ScriptDefinition Script, InstanceDefinition Instance);

    private sealed record CachedScript(long Generation, ScriptDefinition Script);
}
