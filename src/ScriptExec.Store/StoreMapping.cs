using Dapper;
using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>Conversions between stored text and domain enums.</summary>
internal static class StoreMapping
{
    static StoreMapping()
    {
        // Row classes use PascalCase properties for snake_case columns.
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>Runs the static constructor; called by every store before its first query.</summary>
    public static void EnsureConfigured()
    {
    }

    public static TriggerType ParseTrigger(string value) =>
        TriggerTypes.TryParse(value, out var type) ? type : throw new InvalidDataException($"unknown trigger type '{value}' in store");

    public static ExecutionState ParseState(string value) =>
        ExecutionStates.TryParse(value, out var state) ? state : throw new InvalidDataException($"unknown state '{value}' in store");
}
