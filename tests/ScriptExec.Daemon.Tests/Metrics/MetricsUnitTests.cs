using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using ScriptExec.Core;
using ScriptExec.Core.Metrics;
using ScriptExec.Rpc.Sessions;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Daemon.Tests.Metrics;

/// <summary>The pure parts of metrics: labels, tallies, client counts, the options section.</summary>
public sealed class MetricsUnitTests
{
    [TestCase(ExecutionState.Finished, 0, "exit_code", "0")]
    [TestCase(ExecutionState.Finished, 255, "exit_code", "255")]
    [TestCase(ExecutionState.Killed, -9, "signal", "9")]
    [TestCase(ExecutionState.Killed, -15, "signal", "15")]
    public void An_end_is_labelled_with_its_exit_code_or_signal(ExecutionState state, int exitCode, string label, string value) =>
        Assert.That(ScriptExecMetrics.ExitLabel(state, exitCode), Is.EqualTo(new KeyValuePair<string, object?>(label, value)));

    [TestCase(ExecutionState.Finished, null)]
    [TestCase(ExecutionState.Finished, 256)]
    [TestCase(ExecutionState.Finished, -1)]
    [TestCase(ExecutionState.Killed, 0)]
    [TestCase(ExecutionState.Killed, -300)]
    public void An_unknown_or_out_of_range_status_adds_no_label(ExecutionState state, int? exitCode) =>
        Assert.That(ScriptExecMetrics.ExitLabel(state, exitCode), Is.Null);

    [Test]
    public void Duration_buckets_run_from_10_ms_to_an_hour_in_order() =>
        Assert.Multiple(() =>
        {
            Assert.That(ScriptExecMetrics.DurationBuckets[0], Is.EqualTo(0.01));
            Assert.That(ScriptExecMetrics.DurationBuckets[^1], Is.EqualTo(3600));
            Assert.That(ScriptExecMetrics.DurationBuckets, Is.Ordered.Ascending.And.Unique);
        });

    [Test]
    public void Instruments_are_named_with_the_scriptexec_prefix_and_record_started_runs()
    {
        using var factory = new TestMeterFactory();
        var metrics = new ScriptExecMetrics(factory);
        var seen = new List<(string Name, long Value, string? Trigger)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add((instrument.Name, value, tags.ToArray().FirstOrDefault(t => t.Key == "trigger").Value as string)));
        listener.Start();

        metrics.ExecutionStarted("s", "i", TriggerType.Schedule);

        Assert.Multiple(() =>
        {
            Assert.That(metrics.Meter.Name, Is.EqualTo("ScriptExec"));
            Assert.That(seen, Is.EqualTo(new[] { ("scriptexec_executions_started", 1L, (string?)"scheduler") }));
        });
    }

    [Test]
    public void Trigger_fires_and_skips_are_tallied_by_type_and_reason()
    {
        var tally = new TriggerTally();
        tally.Fired(TriggerType.Xpath);
        tally.Fired(TriggerType.Xpath);
        tally.Fired(TriggerType.Schedule);
        tally.Skipped(TriggerType.Xpath, TriggerSkipReason.Overlap);
        tally.Skipped(TriggerType.Schedule, TriggerSkipReason.CatchUpOff);

        Assert.Multiple(() =>
        {
            Assert.That(tally.FiredCount(TriggerType.Xpath), Is.EqualTo(2));
            Assert.That(tally.FiredCount(TriggerType.Schedule), Is.EqualTo(1));
            Assert.That(tally.SkippedCount(TriggerType.Xpath, TriggerSkipReason.Overlap), Is.EqualTo(1));
            Assert.That(tally.SkippedCount(TriggerType.Schedule, TriggerSkipReason.Overlap), Is.Zero);
            Assert.That(tally.SkippedCount(TriggerType.Schedule, TriggerSkipReason.CatchUpOff), Is.EqualTo(1));
            Assert.That(TriggerTally.Reasons.Select(TriggerTally.ToWire), Is.EqualTo(new[] { "overlap", "catch_up_off", "failed" }));
            Assert.That(() => tally.Fired(TriggerType.Manual), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Clients_are_counted_per_transport_until_their_handle_is_disposed_once()
    {
        var clients = new ClientCounter("unix", "websocket");
        var mqtt = clients.Connected("mqtt");
        var first = clients.Connected("unix");
        using var second = clients.Connected("unix");
        first.Dispose();
        first.Dispose();
        var counts = clients.Snapshot().ToDictionary(c => c.Key, c => c.Value);
        mqtt.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(counts, Is.EqualTo(new Dictionary<string, long> { ["unix"] = 1, ["websocket"] = 0, ["mqtt"] = 1 }));
            Assert.That(clients.Snapshot().Single(c => c.Key == "mqtt").Value, Is.Zero);
        });
    }

    [Test]
    public void Metrics_options_default_to_on_the_websocket_listener()
    {
        var options = MetricsOptions.From(Section([]));

        Assert.Multiple(() =>
        {
            Assert.That(options.Enabled, Is.True);
            Assert.That(options.Listen, Is.Null);
        });
    }

    [Test]
    public void Metrics_options_read_enabled_and_listen()
    {
        var options = MetricsOptions.From(Section(new() { ["metrics:enabled"] = "false", ["metrics:listen"] = "http://0.0.0.0:9464" }));

        Assert.Multiple(() =>
        {
            Assert.That(options.Enabled, Is.False);
            Assert.That(options.Listen, Is.EqualTo(new Uri("http://0.0.0.0:9464")));
        });
    }

    [TestCase("metrics:listen", "http://127.0.0.1", "metrics.listen")]
    [TestCase("metrics:listen", "http://127.0.0.1:9464/metrics", "metrics.listen")]
    [TestCase("metrics:enabled", "yes", "metrics.enabled")]
    [TestCase("metrics:path", "/m", "metrics.path")]
    public void A_wrong_metrics_option_is_refused_naming_it(string key, string value, string named) =>
        Assert.That(() => MetricsOptions.From(Section(new() { [key] = value })), Throws.InstanceOf<OptionsException>().With.Message.Contains(named));

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("metrics");

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
