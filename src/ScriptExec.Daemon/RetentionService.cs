using ScriptExec.Supervisor;

namespace ScriptExec.Daemon;

/// <summary>Runs retention in the background for the daemon's lifetime.</summary>
internal sealed class RetentionService : BackgroundService
{
    private readonly ExecutionRetention _retention;

    public RetentionService(ExecutionRetention retention)
    {
        _retention = retention;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _retention.RunAsync(stoppingToken);
}
