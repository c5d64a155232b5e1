namespace ScriptExec.Daemon.Tests.Metrics;

/// <summary>
/// A real Prometheus scrapes a real daemon (its own process) with the bearer token, and its HTTP API answers the
/// count of executions the test ran.
/// </summary>
[NonParallelizable]
public sealed class PrometheusScrapeTests
{
    [Test]
    public async Task Prometheus_scrapes_metrics_with_the_token_and_its_query_api_counts_the_runs()
    {
        await PrometheusServer.EnsureInstalledAsync();
        var dataDir = Directory.CreateTempSubdirectory("scriptexec-prom-").FullName;
        try
        {
            await using var daemon = await DaemonProcess.StartAsync(new DaemonLaunch(dataDir) { LogLinesKept = 200 });
            await using var prometheus = await PrometheusServer.StartAsync(daemon.Port, daemon.Token);
            await using (var client = await daemon.ConnectAsync())
            {
                for (var i = 0; i < 3; i++)
                {
                    await MetricsScrape.RunToEndAsync(client, "counted", "echo run");
                }
            }

            // Both read from the same scrapes: once the third end is in, the third start is too.
            const string Started = """sum(scriptexec_executions_started_total{script_name="counted",instance_name="main",trigger="manual"})""";
            const string Ended = """sum(scriptexec_executions_ended_total{script_name="counted",state="finished",exit_code="0"})""";
            IReadOnlyList<double> started = [], ended = [];
            var counted = await Eventually.TryAsync(
                async () => (ended = await prometheus.QueryAsync(Ended)) is [3] && (started = await prometheus.QueryAsync(Started)) is [3],
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(500));
            var target = await prometheus.TargetStateAsync();

            Assert.Multiple(() =>
            {
                Assert.That(counted, Is.True, () => $"Prometheus answered started [{string.Join(", ", started)}], ended [{string.Join(", ", ended)}]; target: {target}\n{prometheus.Log}\n{daemon.Log}");
                Assert.That(started, Is.EqualTo(new[] { 3.0 }));
                Assert.That(target, Does.StartWith("up"));
            });
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
