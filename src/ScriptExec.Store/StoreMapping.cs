using ScriptExec.Core;

namespace ScriptExec.Store;

/// <summary>Conversions between stored text and domain enums.</summary>
internal static class StoreMapping
{
    public static TriggerType ParseTrigger(string value) =>
        TriggerTypes.TryParse(value, out var type) ? type : throw new InvalidDataException($"unknown trigger type '{value}' in store");

    public static ExecutionState ParseState(string value) =>
        ExecutionStates.TryParse(value, out var state) ? state : throw new InvalidDataException($"unknown state '{value}' in store");
}
