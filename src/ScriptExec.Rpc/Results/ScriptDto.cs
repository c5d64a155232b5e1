using ScriptExec.Core;

namespace ScriptExec.Rpc.Results;

public sealed record ScriptDto(string Name, string? Source, string Version, string? Description, long UpdatedTimestamp)
{
    public static ScriptDto From(ScriptDefinition s, bool withSource) =>
        new(s.Name, withSource ? s.Source : null, s.Version, s.Description, s.UpdatedTimestamp);
}
