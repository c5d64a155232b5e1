using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>The distinct values a UI needs to build execution filters.</summary>
public sealed record ExecutionFilterOptions(
    IReadOnlyList<InstanceSelector> Instances,
    IReadOnlyList<int> ExitCodes,
    IReadOnlyList<ExecutionState> States,
    IReadOnlyList<TriggerType> TriggerTypes,
    IReadOnlyList<string> Usernames);
