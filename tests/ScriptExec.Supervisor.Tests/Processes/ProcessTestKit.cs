using System.Collections.Concurrent;
using System.Text;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

/// <summary>Records everything a capture delivers.</summary>
internal sealed class RecordingSink : IOutputSink
{
    private readonly ConcurrentQueue<(OutputStream Stream, string Content, long TimestampMs)> _lines = new();
    private int _truncatedCalls;
    private long _droppedLines;

    public IReadOnlyList<(OutputStream Stream, string Content, long TimestampMs)> Lines => _lines.ToArray();

    public IReadOnlyList<string> Stdout => Of(OutputStream.Stdout);

    public IReadOnlyList<string> Stderr => Of(OutputStream.Stderr);

    public int TruncatedCalls => Volatile.Read(ref _truncatedCalls);

    /// <summary>What <see cref="OnDropped"/> reported in all.</summary>
    public long DroppedLines => Interlocked.Read(ref _droppedLines);

    public long DeliveredBytes => _lines.Sum(line => (long)Encoding.UTF8.GetByteCount(line.Content));

    public void OnLine(OutputStream stream, ReadOnlySpan<byte> content, long timestampMs) =>
        _lines.Enqueue((stream, Encoding.UTF8.GetString(content), timestampMs));

    public void OnTruncated() => Interlocked.Increment(ref _truncatedCalls);

    public void OnDropped(long lines) => Interlocked.Add(ref _droppedLines, lines);

    public void OnReadDelivered()
    {
    }

    public void OnEnd()
    {
    }

    private string[] Of(OutputStream stream) => [.. _lines.Where(line => line.Stream == stream).Select(line => line.Content)];
}

/// <summary>A temporary directory for scripts, which also serves as their working directory.</summary>
internal sealed class ScriptDirectory : IDisposable
{
    public static readonly IReadOnlyDictionary<string, string> MinimalEnvironment =
        new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" };

    public ScriptDirectory()
    {
        FullPath = Directory.CreateTempSubdirectory("scriptexec-test-").FullName;
    }

    public string FullPath { get; }

    public string WriteScript(string body, string name = "script.sh")
    {
        var path = Path.Combine(FullPath, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public ProcessStartSpec Spec(
        string executable,
        IReadOnlyList<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null,
        OutputCaptureOptions? output = null) =>
        new(executable, arguments ?? [], environment ?? MinimalEnvironment, FullPath, output ?? new OutputCaptureOptions());

    /// <summary>Starts a <c>#!/bin/sh</c> script with the given body.</summary>
    public SpawnedProcess Run(string body, RecordingSink sink, OutputCaptureOptions? output = null) =>
        ProcessLauncher.Start(Spec(WriteScript(body), output: output), sink);

    public void Dispose()
    {
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is a temporary directory.
        }
    }
}

/// <summary>Waits on a spawned process and what it prints; each wait is bounded (the kit's <see cref="Eventually"/>).</summary>
internal static class ProcessWait
{
    public static readonly TimeSpan Timeout = Eventually.DefaultTimeout;

    public static Task Until(Func<bool> condition, string what) => Eventually.ThatAsync(condition, what, Timeout);

    public static Task<ProcessOutcome> Outcome(SpawnedProcess process) => process.Completion.WaitAsync(Timeout);

    /// <summary>Runs <paramref name="spec"/> to its end, requires exit code 0 (stderr as the message), returns what it printed.</summary>
    public static async Task<RecordingSink> Succeeded(ProcessStartSpec spec)
    {
        var sink = new RecordingSink();
        using var process = ProcessLauncher.Start(spec, sink);
        var outcome = await Outcome(process);
        Assert.That(outcome.ExitCode, Is.EqualTo(0), string.Join("\n", sink.Stderr));
        return sink;
    }

    /// <summary>Waits for the first stdout line and parses it as a pid (scripts echo <c>$!</c>).</summary>
    public static async Task<int> FirstPid(RecordingSink sink)
    {
        await Until(() => sink.Stdout.Count > 0, "the script to print a pid");
        return int.Parse(sink.Stdout[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Gone, or a zombie nobody reaps yet (the container's init may never reap orphans).</summary>
    public static bool IsDead(int pid) => !ProcStat.TryRead(pid, out var stat) || stat.IsZombie;

    public static Task UntilDead(int pid) => Until(() => IsDead(pid), $"process {pid} to die");
}
