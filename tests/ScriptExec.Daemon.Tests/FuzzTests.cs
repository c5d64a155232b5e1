using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ScriptExec.Daemon.Tests.Support.Fuzzing;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// Mutation fuzzing over the wire: thousands of broken messages, pipelined over both transports, must leave the
/// daemon alive and answering, and every message it sends well-formed JSON-RPC 2.0 without internals.
/// </summary>
/// <remarks>
/// <c>SCRIPTEXEC_FUZZ_INPUTS</c> scales the run (default 10,000; see docs/HARDENING.md for a long one) and
/// <c>SCRIPTEXEC_FUZZ_SEED</c> picks another reproducible sequence.
/// </remarks>
[NonParallelizable]
public sealed class FuzzTests
{
    private const int DefaultInputs = 10_000;
    private const int DefaultSeed = 20_261_123;
    private const int Workers = 3;

    [Test]
    public async Task Mutated_messages_leave_the_daemon_alive_and_every_reply_well_formed()
    {
        int target = Setting("SCRIPTEXEC_FUZZ_INPUTS", DefaultInputs);
        int seed = Setting("SCRIPTEXEC_FUZZ_SEED", DefaultSeed);
        var logs = new LogCapture();
        await using var daemon = await DaemonUnderTest.StartAsync(null, services => services.AddSingleton<ILoggerProvider>(logs));
        await SetUpAsync(daemon);
        var run = new FuzzRun(new MessageMutator(new Random(seed), FuzzCorpus.Messages), target);
        var token = daemon.Token;
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => run.WorkAsync(daemon, token)));
        clock.Stop();
        var statuses = new List<System.Text.Json.Nodes.JsonNode>();
        foreach (var transport in new[] { "unix", "websocket" })
        {
            await using var client = await daemon.ConnectAsync(transport);
            statuses.Add(await client.CallAsync("status"));
        }

        TestContext.Out.WriteLine($"seed {seed}: {run.Summary(clock.Elapsed)}");
        foreach (var entry in logs.Entries.GroupBy(e => e).OrderByDescending(g => g.Count()).Take(20))
        {
            TestContext.Out.WriteLine($"daemon log x{entry.Count()}: {entry.Key}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(run.Problems, Is.Empty, $"{run.ProblemCount} problems");
            Assert.That(run.InputsSent, Is.GreaterThanOrEqualTo(target));
            Assert.That(run.MessagesReceived, Is.GreaterThan(0));
            Assert.That(run.InternalErrors, Is.Zero, "junk input must be refused as such, never fail inside (see the daemon log above)");
            Assert.That(statuses.Select(s => s["pid"]!.GetValue<int>()), Is.All.EqualTo(daemon.Pid));
        });
    }

    private static async Task SetUpAsync(DaemonUnderTest daemon)
    {
        await using var client = await daemon.ConnectAsync("unix");
        foreach (var message in FuzzCorpus.Setup)
        {
            var reply = await client.SendRawAsync(message);
            Assert.That(reply!["error"], Is.Null, () => $"setup {message} failed: {reply.ToJsonString()}");
        }
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
}
