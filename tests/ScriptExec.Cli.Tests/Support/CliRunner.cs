namespace ScriptExec.Cli.Tests.Support;

/// <summary>How a CLI run ended: its exit code and everything it printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>A CLI run in progress, in-process, with its output readable while it runs.</summary>
public sealed class RunningCli
{
    public RunningCli(CapturedWriter stdout, CapturedWriter stderr, Task<int> exit)
    {
        Stdout = stdout;
        Stderr = stderr;
        Exit = exit;
    }

    public CapturedWriter Stdout { get; }

    public CapturedWriter Stderr { get; }

    public Task<int> Exit { get; }

    public async Task<CliResult> CompleteAsync()
    {
        int code;
        try
        {
            code = await Exit.WaitAsync(CliRunner.Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the CLI did not exit in time; stdout so far:\n{Stdout.Text}\nstderr:\n{Stderr.Text}");
            throw;
        }

        return new CliResult(code, Stdout.Text, Stderr.Text);
    }
}

/// <summary>
/// Runs <c>scriptexec</c> through <see cref="Program.RunAsync(string[], TextWriter, TextWriter, TextReader, Func{string, string?}, CancellationToken)"/>
/// with fixed connection options and an empty environment, so the machine's SCRIPTEXEC_* variables cannot interfere.
/// </summary>
public sealed class CliRunner
{
    /// <summary>Generous: a deadline only fails a hung test, it never paces one.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string[] _connection;
    private readonly IReadOnlyDictionary<string, string> _environment;

    public CliRunner(string[] connection, IReadOnlyDictionary<string, string>? environment = null)
    {
        _connection = connection;
        _environment = environment ?? new Dictionary<string, string>();
    }

    public static CliRunner Unix(DaemonUnderTest daemon) => new(["--socket", daemon.SocketPath]);

    public Task<CliResult> RunAsync(params string[] args) => Start(args).CompleteAsync();

    public Task<CliResult> RunWithInputAsync(string stdin, params string[] args) => Start(args, stdin).CompleteAsync();

    public RunningCli Start(string[] args, string? stdin = null)
    {
        var stdout = new CapturedWriter();
        var stderr = new CapturedWriter();
        string[] all = [.. _connection, .. args];
        var exit = Task.Run(() => Program.RunAsync(
            all, stdout, stderr, new StringReader(stdin ?? string.Empty), name => _environment.GetValueOrDefault(name), CancellationToken.None));
        return new RunningCli(stdout, stderr, exit);
    }
}
