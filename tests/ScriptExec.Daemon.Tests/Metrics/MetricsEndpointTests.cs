namespace ScriptExec.Daemon.Tests.Metrics;

/// <summary>
/// GET /metrics over the wire, from a daemon run as its own process (the exporter listens to the "ScriptExec" meter
/// process-wide, so in-process daemons of other tests would add to the counts): refused without a token, the
/// Prometheus text format, every family after runs, and the labels that tell runs apart.
/// </summary>
[NonParallelizable]
public sealed class MetricsEndpointTests
{
    private string _dataDir = null!;
    private DaemonProcess _daemon = null!;
    private RpcClient _client = null!;
    private RpcClient _webSocketClient = null!;

    [OneTimeSetUp]
    public async Task StartDaemonAndRunScripts()
    {
        _dataDir = Directory.CreateTempSubdirectory("scriptexec-metrics-").FullName;
        _daemon = await DaemonProcess.StartAsync(new DaemonLaunch(_dataDir) { LogLinesKept = 200 });
        _client = await _daemon.ConnectAsync();
        _webSocketClient = await RpcClient.ConnectWebSocketAsync(_daemon.WebSocketUri, _daemon.Token);

        await MetricsScrape.RunToEndAsync(_client, "ok", "echo hello; echo world");
        await MetricsScrape.RunToEndAsync(_client, "fails", "exit 3");

        // An xpath trigger fires, then fires again while its run is still going: the second start is skipped.
        await _client.CallAsync("script_set", new { name = "busy", source = "exec sleep 600" });
        await _client.CallAsync("script_instance_set", new { script_name = "busy", instance_name = "main", start_trigger = new { type = "xpath", setting = "/go" } });
        await _client.CallAsync("state_set", new { xpath = "/go", value = 1 });
        var running = await Eventually.ValueAsync(
            async () => (await _client.CallAsync("script_execution_get", new { filter = new { instances = new[] { new { script_name = "busy" } } }, pagination = new { limit = -10 } }))["executions"]!.AsArray(),
            runs => runs.Count == 1,
            "the xpath trigger started busy");
        await _client.CallAsync("state_set", new { xpath = "/go", value = 2 });
        await _client.CallAsync("script_stop", new { script_name = "busy", instance_name = "main", force = true });
        await MetricsScrape.EndedAsync(_client, running[0]!["id"]!.GetValue<long>());
    }

    [OneTimeTearDown]
    public async Task StopDaemon()
    {
        await _webSocketClient.DisposeAsync();
        await _client.DisposeAsync();
        await _daemon.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    [TestCase(null)]
    [TestCase("not-the-token")]
    public async Task Without_a_valid_token_metrics_is_refused_with_401(string? token)
    {
        using var response = await MetricsScrape.GetAsync(_daemon.Port, token);

        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(401));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        });
    }

    [Test]
    public async Task Metrics_is_prometheus_text_and_every_name_starts_with_scriptexec()
    {
        using var response = await MetricsScrape.GetAsync(_daemon.Port, _daemon.Token);
        var text = await response.Content.ReadAsStringAsync();
        var names = PrometheusText.Parse(text).Select(s => s.Name).Distinct().ToList();

        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
            Assert.That(response.Content.Headers.ContentType?.Parameters.Any(p => p.Name == "version" && p.Value == "0.0.4"), Is.True, () => $"{response.Content.Headers.ContentType}");
            Assert.That(names, Is.Not.Empty);
            Assert.That(names.Where(n => !n.StartsWith("scriptexec_", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public async Task Every_family_is_present_after_runs()
    {
        var names = (await MetricsScrape.SamplesAsync(_daemon.Port, _daemon.Token)).Select(s => s.Name).ToHashSet();

        Assert.That(names, Is.SupersetOf(new[]
        {
            "scriptexec_executions_started_total",
            "scriptexec_executions_ended_total",
            "scriptexec_execution_duration_seconds_bucket",
            "scriptexec_execution_duration_seconds_sum",
            "scriptexec_execution_duration_seconds_count",
            "scriptexec_executions_running",
            "scriptexec_clients",
            "scriptexec_trigger_fires_total",
            "scriptexec_trigger_skips_total",
            "scriptexec_output_stored_bytes_total",
            "scriptexec_output_dropped_lines_total",
            "scriptexec_store_size_bytes",
        }));
    }

    [Test]
    public async Task Executions_are_counted_by_script_instance_trigger_state_and_exit_status()
    {
        var samples = await MetricsScrape.SamplesAsync(_daemon.Port, _daemon.Token);
        double Value(string name, params (string, string)[] labels) =>
            samples.Where(s => s.Name == name && s.Has(labels)).Sum(s => s.Value);

        Assert.Multiple(() =>
        {
            Assert.That(Value("scriptexec_executions_started_total", ("script_name", "ok"), ("instance_name", "main"), ("trigger", "manual")), Is.EqualTo(1));
            Assert.That(Value("scriptexec_executions_started_total", ("script_name", "busy"), ("trigger", "xpath")), Is.EqualTo(1));
            Assert.That(Value("scriptexec_executions_ended_total", ("script_name", "ok"), ("state", "finished"), ("exit_code", "0")), Is.EqualTo(1));
            Assert.That(Value("scriptexec_executions_ended_total", ("script_name", "fails"), ("state", "finished"), ("exit_code", "3")), Is.EqualTo(1));
            Assert.That(Value("scriptexec_executions_ended_total", ("script_name", "busy"), ("state", "killed"), ("signal", "9")), Is.EqualTo(1));
            Assert.That(Value("scriptexec_execution_duration_seconds_count", ("script_name", "ok"), ("instance_name", "main")), Is.EqualTo(1));
            Assert.That(Value("scriptexec_execution_duration_seconds_bucket", ("script_name", "ok"), ("le", "3600")), Is.EqualTo(1), "the largest bucket is an hour");
            Assert.That(Value("scriptexec_execution_duration_seconds_bucket", ("script_name", "ok"), ("le", "0.01")), Is.LessThanOrEqualTo(1), "the smallest bucket is 10 ms");
            Assert.That(samples.Any(s => s.Has(("le", "0.01"))), Is.True, "the smallest bucket is 10 ms");
            Assert.That(Value("scriptexec_executions_running"), Is.EqualTo(0), "nothing runs any more");
            Assert.That(samples.Where(s => s.Labels.ContainsKey("execution_id") || s.Labels.ContainsKey("id")), Is.Empty, "no execution ids as labels");
        });
    }

    [Test]
    public async Task Triggers_clients_output_and_store_are_counted()
    {
        var samples = await MetricsScrape.SamplesAsync(_daemon.Port, _daemon.Token);
        double Value(string name, params (string, string)[] labels) =>
            samples.Where(s => s.Name == name && s.Has(labels)).Sum(s => s.Value);

        Assert.Multiple(() =>
        {
            Assert.That(Value("scriptexec_trigger_fires_total", ("trigger", "xpath")), Is.EqualTo(2));
            Assert.That(Value("scriptexec_trigger_skips_total", ("trigger", "xpath"), ("reason", "overlap")), Is.EqualTo(1));
            Assert.That(Value("scriptexec_clients", ("transport", "unix")), Is.GreaterThanOrEqualTo(1));
            Assert.That(Value("scriptexec_clients", ("transport", "websocket")), Is.EqualTo(1), "the one WebSocket client of this fixture");
            Assert.That(Value("scriptexec_output_stored_bytes_total"), Is.GreaterThanOrEqualTo("hello\nworld".Length));
            Assert.That(Value("scriptexec_output_dropped_lines_total", ("reason", "budget")), Is.EqualTo(0));
            Assert.That(Value("scriptexec_store_size_bytes"), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task Store_size_is_the_database_and_its_write_ahead_log()
    {
        // The store may still be writing (a checkpoint): wait until a scrape and the files agree.
        long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        await Eventually.ThatAsync(
            async () => (await MetricsScrape.SamplesAsync(_daemon.Port, _daemon.Token)).Single(s => s.Name == "scriptexec_store_size_bytes").Value
                == Size(_daemon.DatabasePath) + Size(_daemon.DatabasePath + "-wal"),
            "scriptexec_store_size_bytes is the size of scriptexec.db plus scriptexec.db-wal");
    }
}
