using System.Text.Json.Nodes;
using ScriptExec.Core;
using ScriptExec.Core.Triggers;
using ScriptExec.Store;

namespace ScriptExec.Supervisor.Triggers;

/// <summary>
/// Every run's outcome into the state tree at <c>/scriptexec/&lt;script&gt;/&lt;instance&gt;/last</c>, so xpath
/// triggers chain instances ("run B when A fails": <c>/scriptexec/a/x/last/exit_code != 0</c>).
/// </summary>
/// <remarks>
/// The tree changes in memory first, under the engine's lock, so every later state_set writes a document holding
/// it; the store gets it as a patch in the end record's transaction. Triggers fire once that commit is done.
/// Loops: a condition fires only on a change from false to true (so an instance watching a condition on its own
/// outcome is not started again while the outcome stays the same), and an instance's own outcome never fires its
/// own path trigger (which would otherwise fire after every run).
/// </remarks>
public sealed partial class TriggerEngine : IRunOutcomes
{
    /// <summary>The root of the daemon's own part of the state tree.</summary>
    public const string OutcomeRoot = "scriptexec";

    public static StatePath OutcomePath(string script, string instance) => StatePath.Parse($"/{OutcomeRoot}/{script}/{instance}/last");

    OutcomeRecording? IRunOutcomes.Ending(RunOutcome outcome)
    {
        var path = OutcomePath(outcome.ScriptName, outcome.InstanceName);
        var value = new JsonObject
        {
            ["execution_id"] = outcome.ExecutionId,
            ["state"] = outcome.State.ToWire(),
            ["end_timestamp"] = outcome.EndTimestamp,
        };
        if (outcome.ExitCode is { } exitCode)
        {
            value["exit_code"] = exitCode;
        }

        // Read back from its text, the form state_set values have, which the conditions compare.
        var stored = JsonNode.Parse(value.ToJsonString())!;
        List<Watch> fired;
        lock (_lock)
        {
            try
            {
                fired = ApplyLocked(path, stored);
            }
            catch (InvalidOperationException e)
            {
                // Someone set a value where the outcome's parent objects belong: the run's end is recorded without it.
                Log.OutcomeNotRecorded(_logger, outcome.ExecutionId, path.Text, e.Message);
                return null;
            }
        }

        fired.RemoveAll(w => !w.IsStop && !w.Trigger.IsCondition && w.Script == outcome.ScriptName && w.Instance == outcome.InstanceName);
        return new OutcomeRecording(new StateTreeWrite(path.Segments, stored.ToJsonString()), () => Fire(fired));
    }
}
