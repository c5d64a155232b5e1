using System.Text.Json;
using ScriptExec.Core;

namespace ScriptExec.Rpc.Methods;

/// <summary>Reads seed 000's <c>filter</c> and <c>pagination</c> objects (plus our additions) with field-named errors.</summary>
internal static class ExecutionFilterReader
{
    public const string LimitRule = "must be between -1000 and 1000 and non-zero";

    public static ExecutionFilter ReadFilter(ParamsReader? filter)
    {
        if (filter is null)
        {
            return ExecutionFilter.All;
        }

        var result = new ExecutionFilter
        {
            ExitCodes = filter.OptionalArray("exit_codes", (e, p) => (int)ParamsReader.ReadInteger(e, p, int.MinValue, int.MaxValue)),
            IncludeOutdated = filter.OptionalBool("include_outdated") ?? false,
            Instances = ReadInstances(filter),
            States = filter.OptionalArray("states", ReadState),
            StartAfter = filter.OptionalInteger("start_after", 0, long.MaxValue, "must be Unix seconds (a non-negative integer)"),
            StartBefore = filter.OptionalInteger("start_before", 0, long.MaxValue, "must be Unix seconds (a non-negative integer)"),
            TriggerTypes = filter.OptionalArray("trigger_types", ReadTriggerType),
            Usernames = filter.OptionalArray("usernames", ParamsReader.ReadString),
        };
        filter.End();
        return result;
    }

    /// <summary><c>instances: [{script_name*, instance_names?}]</c>, shared by status and subscriptions.</summary>
    public static IReadOnlyList<InstanceSelector>? ReadInstances(ParamsReader filter) =>
        filter.OptionalArray("instances", (e, path) =>
        {
            var entry = ParamsReader.Of(e, path);
            var script = entry.RequiredString("script_name");
            var names = entry.OptionalArray("instance_names", ParamsReader.ReadString);
            entry.End();
            return new InstanceSelector(script, names);
        }, maxItems: 100);

    public static Pagination ReadPagination(ParamsReader pagination)
    {
        var limit = pagination.RequiredInteger("limit", -Pagination.MaxLimit, Pagination.MaxLimit, LimitRule);
        if (limit == 0)
        {
            throw new InvalidParameterException(pagination.PathOf("limit"), LimitRule);
        }

        var reference = pagination.OptionalInteger("id_exclusive", 0, long.MaxValue, "must be an unsigned integer");
        pagination.End();
        return new Pagination((int)limit, reference);
    }

    private static ExecutionState ReadState(JsonElement e, string path) =>
        ExecutionStates.TryParse(e.ValueKind == JsonValueKind.String ? e.GetString() : null, out var state)
            ? state
            : throw new InvalidParameterException(path, "must be one of running, terminating, finished, killed");

    private static TriggerType ReadTriggerType(JsonElement e, string path) =>
        TriggerTypes.TryParse(e.ValueKind == JsonValueKind.String ? e.GetString() : null, out var type)
            ? type
            : throw new InvalidParameterException(path, "must be one of manual, xpath, schedule, system, restart");
}
