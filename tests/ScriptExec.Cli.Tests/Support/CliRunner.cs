namespace ScriptExec.Cli.Tests.Support;

/// <summary>How a CLI run ended: its exit code and everything it printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>A CLI run in progress, in-process or as a child process, with its output readable while it runs.</summary>
public sealed class RunningCli
{
    private readonly Action _abandon;

    public RunningCli(CapturedWriter stdout, CapturedWriter stderr, Task<int> exit, Action? abandon = null)
    {
        Stdout = stdout;
        Stderr = stderr;
        Exit = exit;
        _abandon = abandon ?? (() => { });
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
            // A hung child process must not outlive the test that started it.
            _abandon();
            Assert.Fail($"the CLI did not exit in time; stdout so far:\n{Stdout.Text}\nstderr:\n{Stderr.Text}");
            throw;
        }

        return new CliResult(code, Stdout.Text, Stderr.Text);
    }
}

/// <summary>
/// Runs <c>scriptexec</c> with fixed connection options and an environment without the machine's SCRIPTEXEC_*
/// variables, so they cannot interfere. By default in-process, through
/// <see cref="Program.RunAsync(string[], TextWriter, TextWriter, TextReader, Func{string, string?}, CancellationToken)"/>.
/// When the environment variable <c>SCRIPTEXEC_CLI_BINARY</c> names a file (the published native binary, or a
/// <c>scriptexec.dll</c>, run under <c>dotnet</c>), every run is that program in a child process instead: the
/// same tests then check the artifact that ships, its exit codes and its bytes on stdout and stderr.
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
        string[] all = [.. _connection, .. args];
        return CliBinary.Path is { } binary ? CliProcess.Start(binary, all, stdin, _environment) : StartInProcess(all, stdin);
    }

    private RunningCli StartInProcess(string[] args, string? stdin)
    {
        var stdout = new CapturedWriter();
        var stderr = new CapturedWriter();
        var exit = Task.Run(() => Program.RunAsync(
            args, stdout, stderr, new StringReader(stdin ?? string.Empty), name => _environment.GetValueOrDefault(name), CancellationToken.None));
        return new RunningCli(stdout, stderr, exit);
    }
}
