using ScriptExec.Store;
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
    private readonly ScriptStore _scripts;
    private readonly ILogger<ExecutionLifetimeService> _logger;

    public ExecutionLifetimeService(
        ExecutionSupervisor supervisor, TriggerEngine triggers, ScriptStore scripts, ILogger<ExecutionLifetimeService> logger)
    {
        _scripts = scripts;
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

        // Listing the scripts once reports, from the start on, the rows that cannot be loaded (the trigger
        // engine does the same for instances and the state tree).
        _ = _scripts.ListScripts();

        // Triggers start after recovery, so a trigger never sees a run the previous daemon left behind.
        try
        {
            _triggers.Start();
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidCastException or FormatException or InvalidDataException)
        {
            // Rows are loaded one by one and skipped when bad; this is the last guard for a table that cannot be
            // read at all. Serving without triggers beats not serving: the operator can still see and fix it.
            Log.TriggersUnavailable(_logger, e.Message);
        }

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
