namespace ScriptExec.Testing;

/// <summary>Waits on a condition, polling, with a bound: the one way tests wait for something to happen.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>True as soon as <paramref name="condition"/> holds; false once <paramref name="timeout"/> has passed.</summary>
    /// <param name="poll">Pause between tries; shorter where the moment the condition starts to hold is measured (start-up).</param>
    public static async Task<bool> TryAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? poll = null, CancellationToken cancellationToken = default)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!await condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(poll ?? DefaultPoll, cancellationToken);
        }

        return true;
    }

    /// <summary>Fails the test with <paramref name="what"/> unless <paramref name="condition"/> holds within the bound.</summary>
    public static async Task ThatAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        if (!await TryAsync(condition, timeout ?? DefaultTimeout))
        {
            Assert.Fail($"timed out waiting until {what}");
        }
    }

    /// <summary>As <see cref="ThatAsync(Func{Task{bool}}, string, TimeSpan?)"/>, for a condition read without I/O.</summary>
    public static Task ThatAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        ThatAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>
    /// Reads <paramref name="probe"/> until <paramref name="done"/> holds for what it returns, and returns that; fails
    /// the test with <paramref name="what"/> and the last value read once the bound has passed.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        T last = default!;
        if (!await TryAsync(async () => done(last = await probe()), timeout ?? DefaultTimeout))
        {
            Assert.Fail($"timed out waiting until {what}; last read: {last}");
        }

        return last;
    }
}
