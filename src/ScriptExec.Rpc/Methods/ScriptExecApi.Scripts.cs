using System.Text.Json;
using System.Text.RegularExpressions;
using ScriptExec.Core;
using ScriptExec.Supervisor;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Script and instance management.</summary>
public sealed partial class ScriptExecApi
{
    private const int MaxTimeoutSeconds = 30 * 24 * 3600;
    private const int MaxStopGraceSeconds = 3600;

    [JsonRpcMethod("script_set", UseSingleObjectParameterDeserialization = true)]
    public async Task<ScriptDto> ScriptSetAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        Caller.Require(Role.Admin, "script_set");
        var p = ParamsReader.Of(@params);
        var name = p.RequiredName("name");
        // A script may be as large as a message carries (max_message_bytes bounds it).
        var source = p.RequiredString("source", int.MaxValue);
        var description = p.OptionalString("description");
        p.End();

        // An omitted description keeps the current one; "" clears it.
        var current = Scripts.GetScript(name);
        var script = new ScriptDefinition(
            name,
            source,
            ScriptDefinition.VersionOf(source),
            description is null ? current?.Description : description.Length == 0 ? null : description,
            _services.Server.Time.GetUtcNow().ToUnixTimeSeconds());
        if (current is not null && current.Version == script.Version && current.Description == script.Description)
        {
            return ScriptDto.From(current, withSource: false);
        }

        await Scripts.SetScriptAsync(script, cancellationToken);
        return ScriptDto.From(script, withSource: false);
    }

    [JsonRpcMethod("script_get", UseSingleObjectParameterDeserialization = true)]
    public ScriptDto ScriptGet(JsonElement @params)
    {
        Caller.Require(Role.Viewer, "script_get");
        var p = ParamsReader.Of(@params);
        var name = p.RequiredName("name");
        p.End();
        return ScriptDto.From(RequireScript(name), withSource: true);
    }

    [JsonRpcMethod("script_delete", UseSingleObjectParameterDeserialization = true)]
    public async Task<EmptyResult> ScriptDeleteAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        Caller.Require(Role.Admin, "script_delete");
        var p = ParamsReader.Of(@params);
        var name = p.RequiredName("name");
        p.End();
        RequireScript(name);
        if (Supervisor.IsRunning(name))
        {
            throw new ScriptExecException(ErrorKind.Conflict, $"script '{name}' has a running instance; stop it first");
        }

        await Scripts.DeleteScriptAsync(name, cancellationToken);
        Supervisor.Files.Delete(name);
        _services.Triggers.Reload();
        return new EmptyResult();
    }

    [JsonRpcMethod("script_instance_set", UseSingleObjectParameterDeserialization = true)]
    public async Task<InstanceDto> ScriptInstanceSetAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        Caller.Require(Role.Admin, "script_instance_set");
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        var (environment, secrets) = ReadEnvironment(p, scriptName, instanceName);
        var instance = new InstanceDefinition
        {
            ScriptName = scriptName,
            InstanceName = instanceName,
            Arguments = ReadArguments(p),
            Environment = environment,
            SecretEnvironment = secrets,
            WorkingDirectory = ReadWorkingDirectory(p),
            User = ReadUser(p),
            TimeoutSeconds = (int?)p.OptionalInteger("timeout_s", 1, MaxTimeoutSeconds),
            StopGraceSeconds = (int)(p.OptionalInteger("stop_grace_s", 0, MaxStopGraceSeconds) ?? InstanceDefinition.DefaultStopGraceSeconds),
            StartTrigger = TriggerReader.ReadStart(p.RequiredObject("start_trigger")),
            StopTrigger = p.OptionalObject("stop_trigger") is { } stop ? TriggerReader.ReadStop(stop) : null,
            UpdatedTimestamp = _services.Server.Time.GetUtcNow().ToUnixTimeSeconds(),
        };
        p.End();
        RequireScript(instance.ScriptName);
        await Scripts.SetInstanceAsync(instance, cancellationToken);
        _services.Triggers.Reload();
        return InstanceDto.From(instance with
        {
            SecretEnvironment = secrets.ToDictionary(s => s.Key, _ => InstanceDefinition.SecretMask, StringComparer.Ordinal),
        });
    }

    [JsonRpcMethod("script_instance_delete", UseSingleObjectParameterDeserialization = true)]
    public async Task<EmptyResult> ScriptInstanceDeleteAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        Caller.Require(Role.Admin, "script_instance_delete");
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        p.End();

        // Existence only: an instance stored in a form that no longer loads must stay deletable.
        RequireScript(scriptName);
        if (!Scripts.InstanceExists(scriptName, instanceName))
        {
            throw new ScriptExecException(ErrorKind.NotFound, $"instance '{instanceName}' of script '{scriptName}' does not exist");
        }

        if (Supervisor.IsRunning(scriptName, instanceName))
        {
            throw new ScriptExecException(ErrorKind.Conflict, $"instance '{instanceName}' of script '{scriptName}' is running; stop it first");
        }

        await Scripts.DeleteInstanceAsync(scriptName, instanceName, cancellationToken);
        _services.Triggers.Reload();
        return new EmptyResult();
    }

    private ScriptDefinition RequireScript(string name) =>
        Scripts.GetScript(name) ?? throw new ScriptExecException(ErrorKind.NotFound, $"script '{name}' does not exist");

    private InstanceDefinition RequireInstance(string scriptName, string instanceName)
    {
        RequireScript(scriptName);
        return Scripts.GetInstance(scriptName, instanceName)
            ?? throw new ScriptExecException(ErrorKind.NotFound, $"instance '{instanceName}' of script '{scriptName}' does not exist");
    }

    /// <summary><c>arguments</c> of an instance or of one run: splittable like shell words, no NUL (see <see cref="ParamsReader.ReadString(JsonElement, string, int)"/>).</summary>
    private static string? ReadArguments(ParamsReader p)
    {
        var arguments = p.OptionalString("arguments");
        try
        {
            ArgumentSplitter.Split(arguments);
        }
        catch (FormatException e)
        {
            throw new InvalidParameterException(p.PathOf("arguments"), e.Message);
        }

        return arguments;
    }

    /// <summary>
    /// <c>env</c>: NAME → "value", or NAME → {"value": "...", "secret": true} for a secret entry. A secret given as
    /// the mask itself keeps its stored value, so a UI can write back what it read.
    /// </summary>
    private (Dictionary<string, string> Plain, Dictionary<string, string> Secret) ReadEnvironment(ParamsReader p, string scriptName, string instanceName)
    {
        var plain = new Dictionary<string, string>(StringComparer.Ordinal);
        var secret = new Dictionary<string, string>(StringComparer.Ordinal);
        if (p.OptionalRaw("env") is not { } env)
        {
            return (plain, secret);
        }

        if (env.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidParameterException("env", "must be an object of NAME: \"value\" or NAME: {\"value\": ..., \"secret\": true}");
        }

        IReadOnlyDictionary<string, string>? stored = null;
        foreach (var entry in env.EnumerateObject())
        {
            var path = "env." + entry.Name;
            if (!EnvironmentName().IsMatch(entry.Name))
            {
                throw new InvalidParameterException(path, "is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }

            if (entry.Name.StartsWith("SCRIPTEXEC_", StringComparison.Ordinal))
            {
                throw new InvalidParameterException(path, "is reserved: SCRIPTEXEC_* variables are set by the daemon");
            }

            var (value, isSecret) = ReadEnvironmentValue(entry.Value, path);

            if (!isSecret)
            {
                plain[entry.Name] = value;
                continue;
            }

            if (value == InstanceDefinition.SecretMask)
            {
                stored ??= Scripts.GetInstance(scriptName, instanceName, withSecrets: true)?.SecretEnvironment ?? new Dictionary<string, string>();
                value = stored.TryGetValue(entry.Name, out var kept)
                    ? kept
                    : throw new InvalidParameterException(path, "is the mask, but no secret of that name is stored to keep");
            }

            secret[entry.Name] = value;
        }

        return plain.Count + secret.Count <= 256 ? (plain, secret) : throw new InvalidParameterException("env", "must have at most 256 entries");
    }

    private static (string Value, bool Secret) ReadEnvironmentValue(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return (ParamsReader.ReadString(element, path), false);
        }

        var entry = ParamsReader.Of(element, path);
        var value = entry.RequiredString("value");
        var isSecret = entry.OptionalBool("secret") ?? false;
        entry.End();
        return (value, isSecret);
    }

    private static string? ReadWorkingDirectory(ParamsReader p)
    {
        var dir = p.OptionalString("working_dir");
        return dir is null || (Path.IsPathFullyQualified(dir) && !dir.Contains('\0', StringComparison.Ordinal))
            ? dir
            : throw new InvalidParameterException("working_dir", "must be an absolute path");
    }

    private static string? ReadUser(ParamsReader p)
    {
        var user = p.OptionalString("user");
        return user is null || RunAs.Problem(user) is not { } problem ? user : throw new InvalidParameterException("user", problem);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentName();
}
