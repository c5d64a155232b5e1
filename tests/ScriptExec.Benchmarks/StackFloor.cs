using System.Diagnostics;

namespace ScriptExec.Benchmarks;

/// <summary>
/// The <see cref="StackFloorServer"/> as a child process of the benchmark (this same executable), on a directory of
/// its own; ended by closing its stdin, or killed.
/// </summary>
internal sealed class StackFloor : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private StackFloor(Process process, string socketPath)
    {
        _process = process;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    public static async Task<StackFloor> StartAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no path to this executable");
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Run as `dotnet ScriptExec.Benchmarks.dll`: the child is started the same way.
            start.ArgumentList.Add(typeof(StackFloor).Assembly.Location);
        }

        start.ArgumentList.Add(StackFloorServer.Flag);
        start.ArgumentList.Add(directory);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the stack floor server");
        var floor = new StackFloor(process, Path.Combine(directory, StackFloorServer.SocketName));
        var since = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await (await RpcClient.ConnectUnixAsync(floor.SocketPath, cancellationToken)).DisposeAsync();
                return floor;
            }
            catch (System.Net.Sockets.SocketException) when (!process.HasExited && Stopwatch.GetElapsedTime(since) < ReadyTimeout)
            {
                // Not listening yet: the socket file appears at bind, and accepts once it listens.
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(exited.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
