using System.Globalization;
using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using static ScriptExec.Cli.CommandLine.OptionSpec;

namespace ScriptExec.Cli.Commands;

/// <summary>
/// The <c>instance set</c> flags for the rest of <c>script_instance_set</c>: secret environment entries, the run's
/// role and resource limits, and the lifecycle policy (restart, overlap, catch-up, enabled), named after their
/// systemd counterparts where there is one (<c>Restart=on-failure</c>, <c>RestartSec=</c>, <c>Persistent=</c>).
/// Values are checked here only as far as the shape goes; the daemon checks ranges and names the field.
/// </summary>
internal static class InstancePolicyOptions
{
    private static readonly string[] RestartPolicyFlags = ["restart-delay", "restart-max-delay", "restart-max", "restart-window"];

    public static readonly IReadOnlyList<OptionSpec> Options =
    [
        Value("secret-env"), Value("role"), Value("limit"), Value("restart"), Value("restart-delay"), Value("restart-max-delay"),
        Value("restart-max"), Value("restart-window"), Value("overlap"), Flag("catch-up"), Flag("enabled"), Flag("disabled"),
    ];

    /// <summary><c>--secret-env NAME=VALUE</c>: stored apart and shown masked (<c>{"value": …, "secret": true}</c>).</summary>
    public static void AddSecrets(JsonObject env, ParsedArguments args)
    {
        foreach (var entry in args.Values("secret-env"))
        {
            var (name, value) = InstanceCommands.SplitAssignment(entry, "--secret-env");
            env[name] = new JsonObject { ["value"] = value, ["secret"] = true };
        }
    }

    public static void Add(JsonObject parameters, ParsedArguments args)
    {
        if (args.Value("role") is { } role)
        {
            parameters["role"] = role;
        }

        if (args.Values("limit") is { Count: > 0 } limits)
        {
            parameters["limits"] = ParseLimits(limits);
        }

        if (Restart(args) is { } restart)
        {
            parameters["restart"] = restart;
        }

        if (args.Value("overlap") is { } overlap)
        {
            parameters["overlap"] = overlap;
        }

        if (args.Has("catch-up"))
        {
            parameters["catch_up"] = true;
        }

        if (args.Has("enabled") && args.Has("disabled"))
        {
            throw new UsageException("--enabled and --disabled exclude each other");
        }

        // Neither: the daemon keeps the instance paused or not as it was (a new one starts enabled).
        if (args.Has("enabled") || args.Has("disabled"))
        {
            parameters["enabled"] = args.Has("enabled");
        }
    }

    /// <summary><c>--limit cpu_s=60 --limit open_files=unlimited</c>: numbers, or <c>unlimited</c> for null.</summary>
    internal static JsonObject ParseLimits(IEnumerable<string> entries)
    {
        var limits = new JsonObject();
        foreach (var entry in entries)
        {
            var (name, value) = InstanceCommands.SplitAssignment(entry, "--limit");
            limits[name] = value is "unlimited" or "infinity"
                ? null
                : decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : throw new UsageException($"--limit: '{entry}' is not NAME=NUMBER or NAME=unlimited");
        }

        return limits;
    }

    /// <summary><c>--restart on-failure|always|no</c> and its tuning flags, as the <c>restart</c> object.</summary>
    private static JsonObject? Restart(ParsedArguments args)
    {
        var on = args.Value("restart") switch
        {
            null or "no" => null,
            "on-failure" or "failure" => "failure",
            "always" => "always",
            var other => throw new UsageException($"--restart: '{other}' is not one of on-failure, always, no"),
        };
        if (on is null)
        {
            if (RestartPolicyFlags.FirstOrDefault(args.Has) is { } flag)
            {
                throw new UsageException($"--{flag} needs --restart on-failure or --restart always");
            }

            return null;
        }

        var restart = new JsonObject { ["on"] = on };
        Optional(restart, "delay_s", args.Long("restart-delay", 0));
        Optional(restart, "max_delay_s", args.Long("restart-max-delay", 0));
        Optional(restart, "max_restarts", args.Long("restart-max", 0));
        Optional(restart, "window_s", args.Long("restart-window", 0));
        return restart;
    }

    private static void Optional(JsonObject target, string name, long? value)
    {
        if (value is not null)
        {
            target[name] = value;
        }
    }
}
