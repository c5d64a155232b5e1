namespace ScriptExec.Cli.Tests.Support;

/// <summary>
/// One daemon per fixture; each test makes its own uniquely named scripts so tests do not interfere. Fixtures
/// that take a transport run their tests over the Unix socket and again over the WebSocket (--url/--token).
/// </summary>
public abstract class CliFixture
{
    private readonly string _transport;
    private int _counter;

    protected CliFixture(string transport = "unix")
    {
        _transport = transport;
    }

    protected DaemonUnderTest Daemon { get; private set; } = null!;

    /// <summary>The CLI on the daemon's Unix socket.</summary>
    protected CliRunner Cli { get; private set; } = null!;

    protected string WorkDir { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartDaemonAsync()
    {
        Daemon = await DaemonUnderTest.StartAsync();
        Cli = _transport == "unix" ? CliRunner.Unix(Daemon) : new CliRunner(["--url", Daemon.WebSocketUrl, "--token", Daemon.Token]);
        WorkDir = Directory.CreateTempSubdirectory("scriptexec-cli-work-").FullName;
    }

    [OneTimeTearDown]
    public async Task StopDaemonAsync()
    {
        await Daemon.DisposeAsync();
        Directory.Delete(WorkDir, recursive: true);
    }

    /// <summary>A fresh name, e.g. <c>s3</c>, unique within the fixture.</summary>
    protected string NewName(string prefix = "s") => prefix + Interlocked.Increment(ref _counter);

    /// <summary>Writes <paramref name="source"/> to a file for <c>script set</c>.</summary>
    protected string WriteFile(string source)
    {
        var path = Path.Combine(WorkDir, NewName("f") + ".sh");
        File.WriteAllText(path, source);
        return path;
    }

    /// <summary>Creates a script and one manual instance through the CLI; returns their names.</summary>
    protected async Task<(string Script, string Instance)> CreateAsync(string source, params string[] instanceOptions)
    {
        var script = NewName();
        await ExpectSuccessAsync("script", "set", script, WriteFile(source));
        await ExpectSuccessAsync(["instance", "set", script, "main", .. instanceOptions]);
        return (script, "main");
    }

    protected async Task<CliResult> ExpectSuccessAsync(params string[] args)
    {
        var result = await Cli.RunAsync(args);
        Assert.That(result.ExitCode, Is.Zero, () => $"scriptexec {string.Join(' ', args)}: {result}");
        return result;
    }

    /// <summary>Starts the instance and returns the execution id the CLI printed.</summary>
    protected async Task<long> StartAsync(string script, string instance, params string[] options)
    {
        var result = await ExpectSuccessAsync(["start", script, instance, .. options]);
        return ParseId(result.Stdout);
    }

    /// <summary><c>start --wait</c>: the execution id printed and the exit code, the script's status.</summary>
    protected async Task<(long Id, int ExitCode)> RunToEndAsync(string script, string instance, params string[] options)
    {
        var result = await Cli.RunAsync(["start", script, instance, "--wait", .. options]);
        Assert.That(result.Stderr, Is.Empty, result.ToString);
        return (ParseId(result.Stdout), result.ExitCode);
    }

    protected static long ParseId(string stdout) => long.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
