using ScriptExec.Core;

namespace ScriptExec.Rpc.Results;

public sealed record LineDto(long Id, string Content, string Stream, long TimestampMs)
{
    public static LineDto From(OutputLine l) => new(l.Id, l.Content, l.Stream == OutputStreamKind.Stdout ? "stdout" : "stderr", l.TimestampMs);
}

public sealed record OutputResult(ExecutionDto Execution, IReadOnlyList<LineDto> Lines);
