using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor;

/// <summary>How a run ended, as the supervisor hands it to <see cref="IRunOutcomes"/> before its end record is written.</summary>
public sealed record RunOutcome(
    string ScriptName, string InstanceName, long ExecutionId, ExecutionState State, int? ExitCode, long EndTimestamp, Trigger? StopTrigger);

/// <summary>
/// What the end record carries with it: a state-tree value written in its transaction, and what to do once it is
/// committed (the instance is then free).
/// </summary>
public sealed record OutcomeRecording(StateTreeWrite Write, Action Committed);

/// <summary>Receives every run's outcome; the trigger engine puts it into the state tree (<c>/scriptexec/&lt;script&gt;/&lt;instance&gt;/last</c>).</summary>
public interface IRunOutcomes
{
    /// <summary>Called once per run, before its end record is written; null when nothing is to be written.</summary>
    OutcomeRecording? Ending(RunOutcome outcome);
}
