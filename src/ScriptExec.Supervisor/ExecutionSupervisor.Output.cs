using ScriptExec.Core;
using ScriptExec.Supervisor.Processes;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor;

/// <summary>How a run's output is captured: the caps, the daemon-wide output budget and the masking of its secrets.</summary>
public sealed partial class ExecutionSupervisor
{
    /// <summary>The daemon-wide output budget every captured line passes (SPEC "output budget"); <c>status</c> shows it.</summary>
    public OutputBudget OutputBudget { get; }

    private OutputCaptureOptions CaptureOptions(InstanceDefinition instance, long executionId)
    {
        // Said once at every start, not only when set: a secret that shows in output is what the user must hear about.
        var unmasked = instance.SecretEnvironment
            .Where(entry => entry.Value.Length > 0 && SecretMasker.IsTooShortToMask(entry.Value))
            .Select(entry => entry.Key)
            .ToArray();
        if (unmasked.Length > 0)
        {
            Log.SecretTooShortToMask(_logger, executionId, string.Join(", ", unmasked), SecretMasker.MinMaskedLength);
        }

        return new OutputCaptureOptions(_options.OutputLineCapBytes, _options.OutputMaxBytesPerExecution)
        {
            Time = _time,
            Secrets = SecretMasker.For(instance.SecretEnvironment.Values),
            Budget = _options.OutputBudget.Enabled ? OutputBudget : null,
            BudgetKey = executionId,
        };
    }
}
