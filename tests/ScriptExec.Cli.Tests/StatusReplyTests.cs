using System.Text.Json;
using ScriptExec.Cli.Commands;
using ScriptExec.Cli.Connection;

namespace ScriptExec.Cli.Tests;

/// <summary>The <c>status</c> reply, read by hand (<see cref="WireFields"/>) as the serializer read it before.</summary>
public sealed class StatusReplyTests
{
    private static StatusCommand.Status Read(string json) =>
        StatusCommand.Read(WireFields.Of(JsonDocument.Parse(json).RootElement.Clone(), "status"));

    [Test]
    public void Every_member_the_status_lines_use_is_read_and_unknown_ones_are_ignored()
    {
        var s = Read("""
            {"version":"1.2.3","pid":42,"started_timestamp":1800000000,"uptime_s":90,"channels":["mqtt"],
             "store":{"path":"/d/x.db","size_bytes":4096,"writable":false,"last_error":"disk full","since_timestamp":1800000010},
             "executions":{"total":9,"running":1,"terminating":2,"finished":3,"killed":4,"finished_exit_zero":5,"finished_exit_non_zero":6},
             "running":[{"id":7,"script_name":"s","instance_name":"i","state":"running","pid":null,"start_timestamp":1800000020}],
             "clients":{"unix":1,"websocket":2,"mqtt":3},"limits":{"max_concurrent_executions":64,"max_message_bytes":1048576,
             "output_max_bytes_per_execution":5000000000},"durations":{"count":3,"avg_ms":12.5,"min_ms":1,"max_ms":30},
             "triggers":{"xpath_fired":1,"schedule_fired":2,"schedule_skipped":3}}
            """);

        Assert.That(s, Is.EqualTo(new StatusCommand.Status(
            "1.2.3", 42, 1800000000, 90,
            new StatusCommand.StoreInfo("/d/x.db", 4096, false, "disk full", 1800000010),
            new StatusCommand.Counts(9, 1, 2, 3, 4, 5, 6),
            s.Running,
            new StatusCommand.Clients(1, 2),
            new StatusCommand.Limits(64, 1048576, 5000000000),
            new StatusCommand.Durations(3, 12.5, 1, 30),
            new StatusCommand.TriggerCounts(1, 2, 3))));
        Assert.That(s.Running, Is.EqualTo(new[] { new StatusCommand.Running(7, "s", "i", "running", null, 1800000020) }));
    }

    [Test]
    public void Members_a_daemon_leaves_out_or_sends_as_null_read_as_their_defaults()
    {
        var s = Read("""{"version":"0.1.0","pid":1,"store":{"path":"/d/x.db","size_bytes":1},"durations":{"count":0,"avg_ms":0,"min_ms":null}}""");

        Assert.Multiple(() =>
        {
            Assert.That(s.Store.Writable, Is.True, "a daemon from before storage faults were reported never says otherwise");
            Assert.That(s.Store.LastError, Is.Null);
            Assert.That(s.Durations.MinMs, Is.Null);
            Assert.That(s.Durations.MaxMs, Is.Null);
            Assert.That(s.Running, Is.Empty);
            Assert.That(s.Executions, Is.EqualTo(new StatusCommand.Counts(0, 0, 0, 0, 0, 0, 0)));
        });
    }

    [TestCase("""{"pid":"42"}""", "status: unexpected result shape: 'pid' is not a number")]
    [TestCase("""{"pid":4294967296}""", "status: unexpected result shape: 'pid' is not a 32-bit integer")]
    [TestCase("""{"store":[]}""", "status: unexpected result shape: 'store' is not an object")]
    [TestCase("""{"store":{"writable":"yes"}}""", "status.store: unexpected result shape: 'writable' is not a boolean")]
    [TestCase("""{"running":[{"pid":1.5}]}""", "status.running[0]: unexpected result shape: 'pid' is not a 32-bit integer")]
    [TestCase("""{"running":[7]}""", "status.running[0]: unexpected result shape: Number where an object was expected")]
    [TestCase("""[]""", "status: unexpected result shape: Array where an object was expected")]
    public void A_member_of_another_kind_is_a_protocol_error_naming_where_it_is(string json, string message)
    {
        var error = Assert.Throws<ProtocolException>(() => Read(json));

        Assert.That(error!.Message, Is.EqualTo(message));
    }
}
