namespace ScriptExec.Daemon.Tests.Support;

/// <summary>
/// Base of the over-the-wire fixtures: one daemon per fixture, run once per transport (the same tests, unix and
/// websocket), a fresh client per test.
/// </summary>
[TestFixture("unix")]
[TestFixture("websocket")]
public abstract class TransportFixture
{
    protected TransportFixture(string transport)
    {
        Transport = transport;
    }

    protected string Transport { get; }

    protected DaemonUnderTest Daemon { get; private set; } = null!;

    protected RpcClient Client { get; private set; } = null!;

    /// <summary>Command-line switches for the fixture's daemon (e.g. an output budget); none by default.</summary>
    protected virtual string[] DaemonArguments => [];

    [OneTimeSetUp]
    public async Task StartDaemon() => Daemon = await DaemonUnderTest.StartAsync(extraArgs: DaemonArguments);

    [OneTimeTearDown]
    public async Task StopDaemon() => await Daemon.DisposeAsync();

    [SetUp]
    public async Task Connect() => Client = await Daemon.ConnectAsync(Transport);

    [TearDown]
    public async Task Disconnect() => await Client.DisposeAsync();

    /// <summary>Creates a script and a manual instance of it; names are unique per test so fixtures can share a daemon.</summary>
    protected async Task<(string Script, string Instance)> CreateAsync(string source, object? instanceSettings = null)
    {
        var script = "s-" + Guid.NewGuid().ToString("N")[..12];
        await Client.CallAsync("script_set", new { name = script, source });
        var instance = new Dictionary<string, object?>
        {
            ["script_name"] = script,
            ["instance_name"] = "main",
            ["start_trigger"] = new { type = "manual" },
        };
        if (instanceSettings is not null)
        {
            foreach (var property in instanceSettings.GetType().GetProperties())
            {
                instance[property.Name] = property.GetValue(instanceSettings);
            }
        }

        await Client.CallAsync("script_instance_set", instance);
        return (script, "main");
    }

    /// <summary>Polls script_execution_get until the execution satisfies <paramref name="condition"/> (never a fixed sleep).</summary>
    protected Task<System.Text.Json.Nodes.JsonNode> WaitForExecutionAsync(
        long id, Func<System.Text.Json.Nodes.JsonNode, bool> condition, TimeSpan? timeout = null) =>
        Eventually.ValueAsync(
            async () => (await Client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            condition,
            $"execution {id} reached the expected condition",
            timeout);

    protected Task<System.Text.Json.Nodes.JsonNode> WaitForEndAsync(long id) =>
        WaitForExecutionAsync(id, e => e["state"]!.GetValue<string>() is "finished" or "killed");
}
