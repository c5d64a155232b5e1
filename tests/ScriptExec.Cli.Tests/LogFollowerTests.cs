using ScriptExec.Cli.Commands;
using ScriptExec.Cli.Connection;
using ScriptExec.Cli.Output;
using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary>The follower against a scripted daemon: gaps between notified and stored lines, lost lines, a lost end.</summary>
public sealed class LogFollowerTests
{
    private FakeDaemonChannel _daemon = null!;
    private CapturedWriter _out = null!;
    private Task _follower = null!;
    private DaemonClient _client = null!;

    private void StartFollowing(bool canSubscribe = true)
    {
        _daemon = new FakeDaemonChannel { CanSubscribe = canSubscribe };
        _daemon.Store(1);
        _out = new CapturedWriter();
        _client = new DaemonClient(_daemon);
        var printer = new LinePrinter(_out, TextWriter.Null, StreamSelection.Both, json: false);
        _follower = Task.Run(async () => { await new LogFollower(_client, printer, 1).RunAsync(CancellationToken.None); });
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _client.DisposeAsync();
        await _daemon.DisposeAsync();
        _out.Dispose();
    }

    [Test]
    public async Task A_line_notified_before_it_is_stored_waits_for_the_lines_before_it()
    {
        StartFollowing();
        await _out.WaitForAsync(t => t == "line 1\n", "the stored line");

        // Line 2 was captured before the subscription and is still in the daemon's write queue; 3 arrives live.
        _daemon.NotifyLines(3);
        var reads = _daemon.StoreReads;
        await _daemon.StoreRead.WaitForAsync(_ => _daemon.StoreReads > reads, "the follower to look for line 2 in the store");
        Assert.That(_out.Text, Is.EqualTo("line 1\n"), "line 3 must not be printed before line 2");

        _daemon.Store(2, 3);
        await _out.WaitForAsync(t => t == "line 1\nline 2\nline 3\n", "the gap to be filled from the store");

        _daemon.End();
        _daemon.NotifyEnd();
        await _follower.WaitAsync(CliRunner.Deadline);
    }

    [Test]
    public async Task Lines_that_never_reach_the_store_are_printed_in_order_at_the_end()
    {
        StartFollowing();
        await _out.WaitForAsync(t => t == "line 1\n", "the stored line");
        _daemon.NotifyLines(3, 4);
        _daemon.NotifyLines(6);
        _daemon.Store(2);
        _daemon.End();
        _daemon.NotifyEnd();

        await _follower.WaitAsync(CliRunner.Deadline);
        Assert.That(_out.Text, Is.EqualTo("line 1\nline 2\nline 3\nline 4\nline 6\n"));
    }

    [Test]
    public async Task An_end_whose_notification_was_dropped_is_noticed_from_the_store()
    {
        StartFollowing();
        await _out.WaitForAsync(t => t == "line 1\n", "the stored line");
        _daemon.Store(2);
        _daemon.End();

        await _follower.WaitAsync(CliRunner.Deadline);
        Assert.That(_out.Text, Is.EqualTo("line 1\nline 2\n"));
    }

    [Test]
    public async Task Without_subscriptions_the_follower_polls_the_store()
    {
        StartFollowing(canSubscribe: false);
        await _out.WaitForAsync(t => t == "line 1\n", "the stored line");
        _daemon.Store(2);
        _daemon.End();

        await _follower.WaitAsync(CliRunner.Deadline);
        Assert.That(_out.Text, Is.EqualTo("line 1\nline 2\n"));
    }
}
