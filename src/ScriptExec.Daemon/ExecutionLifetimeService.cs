using ScriptExec.Supervisor;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Daemon;

/// <summary>
/// Ties the supervisor to the host's life: recovery before anything is served, and at shutdown every running
/// execution stopped gracefully with stop trigger system/shutdown.
/// </summary>
internal sealed class ExecutionLifetimeService : IHostedService
{
    private readonly ExecutionSupervisor _supervisor;
    private readonly TriggerEngine _triggers;
    private readonly ILogger<ExecutionLifetimeService> _logger;

    public ExecutionLifetimeService(ExecutionSupervisor supervisor, TriggerEngine triggers, ILogger<ExecutionLifetimeService> logger)
    {
        _supervisor = supervisor;
        _triggers = triggers;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var recovered = _supervisor.Recover();
        if (recovered > 0)
        {
            Log.Recovered(_logger, recovered);
        }

        // Triggers start after recovery, so a trigger never sees a run the previous daemon left behind.
        _triggers.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Log.ShuttingDown(_logger);
        await _triggers.DisposeAsync();
        try
        {
            await _supervisor.StopAllAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Out of shutdown time: what is still running is recovered (and killed) at the next start.
        }
    }
}
