using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using ScriptExec.Store;

namespace ScriptExec.Supervisor;

/// <summary>
/// Keeps the store within its limits in the background: the oldest ended executions and their output go first,
/// running ones never. A pass runs after any run that ends beyond the count limit, and on an interval.
/// </summary>
public sealed class ExecutionRetention : IDisposable
{
    private readonly RetentionStore _store;
    private readonly ExecutionSupervisor _supervisor;
    private readonly RetentionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ExecutionRetention> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private long _prunedExecutions;
    private long _prunedLines;
    private long _lastRun;

    public ExecutionRetention(
        RetentionStore store, ExecutionSupervisor supervisor, RetentionOptions options, TimeProvider time, ILogger<ExecutionRetention> logger)
    {
        _store = store;
        _supervisor = supervisor;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public RetentionOptions Options => _options;

    public void Dispose() => _wake.Dispose();

    public RetentionCounts Counts => new(
        Interlocked.Read(ref _prunedExecutions),
        Interlocked.Read(ref _prunedLines),
        Interlocked.Read(ref _lastRun) is var last and > 0 ? last : null);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _supervisor.ExecutionChanged += OnExecutionChanged;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await PruneAsync(cancellationToken);

                // A cancelled wait leaves no waiter behind, so a later signal is not lost to it.
                using var interval = new CancellationTokenSource(_options.Interval, _time);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(interval.Token, cancellationToken);
                try
                {
                    await _wake.WaitAsync(either.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The interval passed: check age and size too.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _supervisor.ExecutionChanged -= OnExecutionChanged;
        }
    }

    /// <summary>One pass over all limits.</summary>
    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var pruned = PruneResult.None;
        try
        {
            if (_options.MaxExecutions is { } max)
            {
                pruned = pruned.Add(await _store.PruneToCountAsync(max, cancellationToken));
            }

            if (_options.MaxAge is { } age)
            {
                var cutoff = (_time.GetUtcNow() - age).ToUnixTimeSeconds();
                pruned = pruned.Add(await _store.PruneOlderThanAsync(cutoff, cancellationToken));
            }

            if (_options.MaxOutputBytes is { } bytes)
            {
                pruned = pruned.Add(await _store.PruneToOutputBytesAsync(bytes, cancellationToken));
            }
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            Log.RetentionFailed(_logger, e);
        }
        catch (ScriptExecException e) when (e.Kind == ErrorKind.Unavailable)
        {
            // The store logs the episode once; the next pass tries again.
        }

        Interlocked.Exchange(ref _lastRun, _time.GetUtcNow().ToUnixTimeSeconds());
        if (pruned.Executions > 0)
        {
            Interlocked.Add(ref _prunedExecutions, pruned.Executions);
            Interlocked.Add(ref _prunedLines, pruned.OutputLines);
            _supervisor.Statistics.Reload();
            Log.Pruned(_logger, pruned.Executions, pruned.OutputLines);
        }
    }

    private void OnExecutionChanged(Execution execution)
    {
        if (!execution.State.IsActive() && _options.MaxExecutions is { } max && _supervisor.Statistics.Current.Total > max && _wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }
}
