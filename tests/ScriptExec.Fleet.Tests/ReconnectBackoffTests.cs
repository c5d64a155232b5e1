using ScriptExec.Daemon.Fleet;

namespace ScriptExec.Fleet.Tests;

public sealed class ReconnectBackoffTests
{
    [Test]
    public void Delays_double_up_to_the_cap_without_jitter_at_the_top_of_the_range()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), random: () => 0);

        var delays = Enumerable.Range(0, 6).Select(_ => backoff.Next().TotalSeconds).ToList();

        Assert.That(delays, Is.EqualTo(new[] { 1.0, 2, 4, 8, 10, 10 }));
    }

    [Test]
    public void Jitter_takes_off_at_most_half()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4), random: () => 0.999999);

        Assert.That(backoff.Next().TotalSeconds, Is.EqualTo(2).Within(0.001));
    }

    [Test]
    public void A_connection_made_starts_over_from_the_initial_delay()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60), random: () => 0);
        for (var i = 0; i < 40; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.That(backoff.Next(), Is.EqualTo(TimeSpan.FromMilliseconds(100)));
    }

    [Test]
    public async Task The_loop_retries_after_failures_and_ends_of_connections_and_starts_over_after_a_connection()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(8), random: () => 0);
        using var stop = new CancellationTokenSource();
        bool[] outcomes = [false, false, true, false];
        var attempt = 0;
        var retries = new List<(bool Connected, double DelayMs)>();

        await backoff.RunAsync(
            _ =>
            {
                if (attempt == outcomes.Length - 1)
                {
                    stop.Cancel();
                }

                return Task.FromResult(outcomes[attempt++]);
            },
            (connected, delay) => retries.Add((connected, delay.TotalMilliseconds)),
            TimeProvider.System,
            () => false,
            stop.Token);

        Assert.That(attempt, Is.EqualTo(4));
        Assert.That(retries, Is.EqualTo(new[] { (false, 1.0), (false, 2.0), (true, 1.0) }));
    }
}
