namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// kill -9 from outside at a random moment of a start/stop load on three instances, then a restart on the same
/// data dir, round after round: the same checks as the injected crashes. Rounds: <c>SCRIPTEXEC_FAULT_ROUNDS</c>
/// (default 5); the seed is printed and can be replayed with <c>SCRIPTEXEC_FAULT_SEED</c>.
/// </summary>
[Category("Faults")]
[NonParallelizable]
[TestFixture("auto")]
[TestFixture("off")]
public sealed class RandomKillTests
{
    private static readonly string[] Instances = ["a", "b", "c"];
    private readonly string _cgroup;

    /// <param name="cgroup">Run with a cgroup per execution (where the machine has one) or with the environment scan alone.</param>
    public RandomKillTests(string cgroup)
    {
        _cgroup = cgroup;
    }

    [Test]
    public async Task Kill_9_at_a_random_moment_of_a_start_stop_load_leaves_no_process_and_nothing_running()
    {
        var rounds = FaultRounds.FromEnvironment("SCRIPTEXEC_FAULT_ROUNDS", 5);
        var seed = FaultRounds.FromEnvironment("SCRIPTEXEC_FAULT_SEED", Random.Shared.Next(1, int.MaxValue));
        var random = new Random(seed);
        using var harness = new CrashHarness(_cgroup);
        var failures = new List<string>();
        int crashes = 0, orphans = 0;

        var daemon = await harness.StartDaemonAsync();
        await using (var client = await daemon.ConnectAsync())
        {
            foreach (var instance in Instances)
            {
                await harness.CreateInstanceAsync(client, "load", instance);
            }
        }

        for (var round = 0; round < rounds; round++)
        {
            var completed = new StrongBox<int>();
            var workers = Instances.Select(i => RunLoadAsync(daemon, i, new Random(random.Next()), completed)).ToList();
            var target = random.Next(2, 30);
            var reached = await ProcessProbe.EventuallyAsync(() => Volatile.Read(ref completed.Value) >= target, TimeSpan.FromSeconds(120));
            await daemon.KillAsync();
            crashes++;
            await Task.WhenAll(workers);

            daemon = await harness.StartDaemonAsync();
            var check = await harness.CheckAfterRestartAsync(daemon, "load", Instances[round % Instances.Length]);
            orphans += check.Orphans.Count;
            TestContext.Progress.WriteLine($"round {round} (kill after {target} operations): {check}");
            if (!reached || check.Orphans.Count > 0 || check.Active.Count > 0 || check.Started != 1
                || !check.RefusalCodes.SequenceEqual([1002]) || check.Integrity != "ok")
            {
                failures.Add($"round {round}: load reached {reached}; {check}");
            }
        }

        TestContext.Progress.WriteLine($"random kill -9 (cgroup {_cgroup}): seed {seed}, {rounds} rounds, {crashes} crashes injected, {orphans} orphans found");
        Assert.That(failures, Is.Empty, $"seed {seed}");
    }

    /// <summary>Starts and stops one instance until the daemon goes away; counts the operations that got a reply.</summary>
    private static async Task RunLoadAsync(DaemonProcess daemon, string instance, Random random, StrongBox<int> completed)
    {
        await using var client = await daemon.ConnectAsync();
        var parameters = new { script_name = "load", instance_name = instance };
        while (true)
        {
            var call = random.Next(3) switch
            {
                0 => client.CallRawAsync("script_start", parameters),
                1 => client.CallRawAsync("script_stop", new { script_name = "load", instance_name = instance, force = random.Next(2) == 0 }),
                _ => client.CallRawAsync("script_start", parameters),
            };

            // A call cut off by the kill never gets its reply: stop at the closed connection instead of its timeout.
            if (await Task.WhenAny(call, client.Closed.Task) != call)
            {
                _ = call.ContinueWith(t => t.Exception, TaskScheduler.Default);
                return;
            }

            try
            {
                await call;
            }
            catch (Exception e) when (e is IOException or TimeoutException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref completed.Value);
        }
    }

    private sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}
