using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Rpc.Results;

public sealed record InstanceNamesDto(string ScriptName, IReadOnlyList<string> InstanceNames);

public sealed record FilterOptionsResult(
    IReadOnlyList<InstanceNamesDto> Instances,
    IReadOnlyList<int> ExitCodes,
    IReadOnlyList<string> States,
    IReadOnlyList<string> TriggerTypes,
    IReadOnlyList<string> Usernames)
{
    public static FilterOptionsResult From(ExecutionFilterOptions o) => new(
        [.. o.Instances.Select(i => new InstanceNamesDto(i.ScriptName, i.InstanceNames ?? []))],
        o.ExitCodes,
        [.. o.States.Select(s => s.ToWire())],
        [.. o.TriggerTypes.Select(t => t.ToWire())],
        o.Usernames);
}
