namespace ScriptExec.Daemon.Tests.Metrics;

/// <summary>The <c>metrics</c> section: a listener of its own (serving /metrics alone), and off.</summary>
public sealed class MetricsListenerTests
{
    [Test]
    public async Task A_metrics_listener_of_its_own_serves_metrics_only_and_the_websocket_listener_no_longer_does()
    {
        var metricsPort = DaemonUnderTest.FreePort();
        await using var daemon = await StartWithConfigAsync($$$"""{"metrics": {"listen": "http://127.0.0.1:{{{metricsPort}}}"}}""");

        using var own = await MetricsScrape.GetAsync(metricsPort, daemon.Token);
        using var refused = await MetricsScrape.GetAsync(metricsPort, null);
        using var rpcThere = await MetricsScrape.GetAsync(metricsPort, daemon.Token, "/rpc");
        using var onWebSocketListener = await MetricsScrape.GetAsync(daemon.Port, daemon.Token);
        var text = await own.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That((int)own.StatusCode, Is.EqualTo(200));
            Assert.That(text, Does.Contain("scriptexec_executions_running"));
            Assert.That((int)refused.StatusCode, Is.EqualTo(401), "the listener of its own is token-protected too");
            Assert.That((int)rpcThere.StatusCode, Is.EqualTo(404), "nothing but /metrics on the metrics listener");
            Assert.That((int)onWebSocketListener.StatusCode, Is.EqualTo(404), "metrics moved to its own listener");
        });
    }

    [Test]
    public async Task Metrics_disabled_is_not_found()
    {
        await using var daemon = await StartWithConfigAsync("""{"metrics": {"enabled": false}}""");

        using var response = await MetricsScrape.GetAsync(daemon.Port, daemon.Token);

        Assert.That((int)response.StatusCode, Is.EqualTo(404));
    }

    [TestCase("""{"metrics": {"listn": "http://127.0.0.1:9464"}}""", "metrics.listn")]
    [TestCase("""{"metrics": {"enabled": "sometimes"}}""", "metrics.enabled")]
    [TestCase("""{"metrics": {"listen": "https://127.0.0.1:9464"}}""", "metrics.listen")]
    [TestCase("""{"metrics": {"listen": "http://metrics.example:9464"}}""", "metrics.listen")]
    public async Task A_wrong_metrics_setting_stops_the_start_naming_the_key(string config, string key)
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-metrics-config-").FullName;
        try
        {
            var path = Path.Combine(dataDir, "config.json");
            await File.WriteAllTextAsync(path, config);
            var (exitCode, log) = await DaemonProcess.RunUntilExitAsync(dataDir, null, TimeSpan.FromSeconds(60), "--config", path);

            Assert.Multiple(() =>
            {
                Assert.That(exitCode, Is.Not.Zero);
                Assert.That(log, Does.Contain(key));
            });
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<OwnedDaemon> StartWithConfigAsync(string config)
    {
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-metrics-listen-").FullName;
        var path = Path.Combine(dataDir, "config.json");
        await File.WriteAllTextAsync(path, config);
        return new OwnedDaemon(await DaemonProcess.StartAsync(new DaemonLaunch(dataDir) { ExtraArgs = ["--config", path], LogLinesKept = 200 }), dataDir);
    }

    /// <summary>A daemon process and the data dir it was given, removed together.</summary>
    private sealed class OwnedDaemon(DaemonProcess process, string dataDir) : IAsyncDisposable
    {
        public int Port => process.Port;

        public string Token => process.Token;

        public async ValueTask DisposeAsync()
        {
            await process.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
