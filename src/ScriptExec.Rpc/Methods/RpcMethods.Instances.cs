using System.Text.Json;
using System.Text.RegularExpressions;
using ScriptExec.Core;
using ScriptExec.Rpc.Results;
using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Workflows;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Methods;

/// <summary>Instances: params in, <see cref="ScriptCatalog"/>, the instance out (secret values as the mask).</summary>
public sealed partial class RpcMethods
{
    private const int MaxTimeoutSeconds = 30 * 24 * 3600;
    private const int MaxStopGraceSeconds = 3600;

    [JsonRpcMethod("script_instance_set", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Admin)]
    public async Task<InstanceDto> ScriptInstanceSetAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        var (environment, secrets) = ReadEnvironment(p);
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
            Role = ReadRunRole(p),
            Limits = ReadLimits(p),
            Restart = p.OptionalObject("restart") is { } restart ? ReadRestart(restart) : null,
            Overlap = ReadOverlap(p),
            CatchUp = p.OptionalBool("catch_up") ?? false,
        };
        var enabled = p.OptionalBool("enabled");
        p.End();
        var stored = await _backend.Catalog.SetInstanceAsync(instance, cancellationToken, enabled);
        return InstanceDto.From(stored, Supervisor.UnenforcedLimits(stored));
    }

    [JsonRpcMethod("script_instance_get", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Viewer)]
    public InstanceDto ScriptInstanceGet(JsonElement @params)
    {
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        p.End();

        // Secret values come back as the mask (the store masks them unless asked by the spawn path).
        var instance = Catalog.RequireInstance(Scripts, scriptName, instanceName);
        return InstanceDto.From(instance, Supervisor.UnenforcedLimits(instance));
    }

    [JsonRpcMethod("script_instance_enabled_set", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Operator)]
    public async Task<InstanceDto> ScriptInstanceEnabledSetAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        var enabled = p.OptionalBool("enabled") ?? throw new InvalidParameterException("enabled", "is required (true or false)");
        p.End();
        var changed = await _backend.Catalog.SetEnabledAsync(scriptName, instanceName, enabled, cancellationToken);
        return InstanceDto.From(changed, Supervisor.UnenforcedLimits(changed));
    }

    [JsonRpcMethod("script_instance_delete", UseSingleObjectParameterDeserialization = true)]
    [RequiresRole(Role.Admin)]
    public async Task<EmptyResult> ScriptInstanceDeleteAsync(JsonElement @params, CancellationToken cancellationToken)
    {
        var p = ParamsReader.Of(@params);
        var scriptName = p.RequiredName("script_name");
        var instanceName = p.RequiredName("instance_name");
        p.End();
        await _backend.Catalog.DeleteInstanceAsync(scriptName, instanceName, cancellationToken);
        return new EmptyResult();
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
    /// the mask itself is passed on as such: the catalog keeps the stored value of that name.
    /// </summary>
    private static (Dictionary<string, string> Plain, Dictionary<string, string> Secret) ReadEnvironment(ParamsReader p)
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

    /// <summary><c>role</c> of the run's token: at most the caller's own, so no one hands a script more than they have.</summary>
    private Role ReadRunRole(ParamsReader p)
    {
        if (p.OptionalString("role") is not { } text)
        {
            return Role.Operator <= Caller.Role ? Role.Operator : Caller.Role;
        }

        if (!Roles.TryParse(text, out var role) || role == Role.None)
        {
            throw new InvalidParameterException("role", "must be one of viewer, operator, admin");
        }

        return role <= Caller.Role ? role : throw new InvalidParameterException("role", $"may not exceed your own role ({Caller.Role.ToWire()})");
    }

    /// <summary><c>limits</c>: limit name → number, or null for unlimited; names left out take the daemon's defaults.</summary>
    private static LimitOverrides ReadLimits(ParamsReader p)
    {
        if (p.OptionalRaw("limits") is not { } limits)
        {
            return LimitOverrides.None;
        }

        if (limits.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidParameterException("limits", "must be an object of limit name: number or null");
        }

        var wire = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var entry in limits.EnumerateObject())
        {
            wire[entry.Name] = entry.Value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.Number when entry.Value.TryGetInt64(out var value) => value,
                _ => throw new InvalidParameterException("limits." + entry.Name, "must be an integer or null"),
            };
        }

        return LimitOverrides.FromWire(wire);
    }

    private const int MaxRestartSeconds = 24 * 3600;

    /// <summary><c>restart</c>: <c>on</c> is required, the rest default as in <see cref="RestartPolicy"/>.</summary>
    private static RestartPolicy ReadRestart(ParamsReader restart)
    {
        var on = restart.RequiredString("on");
        if (!RestartPolicy.TryParseOn(on, out var when))
        {
            throw new InvalidParameterException(restart.PathOf("on"), "must be one of failure, always");
        }

        var defaults = new RestartPolicy(when);
        var delay = (int)(restart.OptionalInteger("delay_s", 0, MaxRestartSeconds) ?? defaults.DelaySeconds);
        var maxDelay = (int)(restart.OptionalInteger("max_delay_s", 0, MaxRestartSeconds) ?? Math.Max(defaults.MaxDelaySeconds, delay));
        var policy = new RestartPolicy(
            when,
            delay,
            maxDelay >= delay ? maxDelay : throw new InvalidParameterException(restart.PathOf("max_delay_s"), "must not be below delay_s"),
            (int)(restart.OptionalInteger("max_restarts", 0, 10_000) ?? defaults.MaxRestarts),
            (int)(restart.OptionalInteger("window_s", 1, 30 * MaxRestartSeconds) ?? defaults.WindowSeconds));
        restart.End();
        return policy;
    }

    private static OverlapPolicy ReadOverlap(ParamsReader p) => p.OptionalString("overlap") switch
    {
        null => OverlapPolicy.Skip,
        var text when OverlapPolicies.TryParse(text, out var overlap) => overlap,
        _ => throw new InvalidParameterException("overlap", "must be one of skip, queue"),
    };

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
