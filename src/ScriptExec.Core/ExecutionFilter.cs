namespace ScriptExec.Core;

/// <summary>Selects the executions of some instances: all instances of the script when <see cref="InstanceNames"/> is null.</summary>
public sealed record InstanceSelector(string ScriptName, IReadOnlyList<string>? InstanceNames = null);

/// <summary>
/// The filter of <c>script_execution_get</c>. Every list left null means "all". Filters apply before pagination.
/// </summary>
public sealed record ExecutionFilter
{
    public static readonly ExecutionFilter All = new();

    public IReadOnlyList<int>? ExitCodes { get; init; }

    public bool IncludeOutdated { get; init; }

    public IReadOnlyList<InstanceSelector>? Instances { get; init; }

    public IReadOnlyList<ExecutionState>? States { get; init; }

    /// <summary>Inclusive lower bound on start_timestamp (Unix seconds).</summary>
    public long? StartAfter { get; init; }

    /// <summary>Exclusive upper bound on start_timestamp (Unix seconds).</summary>
    public long? StartBefore { get; init; }

    public IReadOnlyList<TriggerType>? TriggerTypes { get; init; }

    public IReadOnlyList<string>? Usernames { get; init; }

    /// <summary>The straightforward reading of the rules, used by tests as the model and by the store for live checks.</summary>
    public bool Matches(Execution e)
    {
        if (!IncludeOutdated && e.IsOutdated)
        {
            return false;
        }

        if (ExitCodes is not null && (e.ExitCode is not { } code || !ExitCodes.Contains(code)))
        {
            return false;
        }

        if (States is not null && !States.Contains(e.State))
        {
            return false;
        }

        if (Instances is not null && !Instances.Any(i =>
                i.ScriptName == e.ScriptName && (i.InstanceNames is null || i.InstanceNames.Contains(e.InstanceName))))
        {
            return false;
        }

        if (StartAfter is { } after && e.StartTimestamp < after)
        {
            return false;
        }

        if (StartBefore is { } before && e.StartTimestamp >= before)
        {
            return false;
        }

        if (TriggerTypes is not null && !TriggerTypes.Contains(e.StartTrigger.Type))
        {
            return false;
        }

        return Usernames is null || (e.StartTrigger.Username is { } user && Usernames.Contains(user));
    }
}
