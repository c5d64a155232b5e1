namespace ScriptExec.Core;

/// <summary>One captured line of an execution's output; ids increase with arrival, per execution.</summary>
public sealed record OutputLine(long Id, string Content, OutputStreamKind Stream, long TimestampMs);
