using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// An execution's life over the wire: running → (terminating) → finished | killed, stop and timeout, what a script
/// is given (environment, arguments, interpreter, working directory) and the errors of start, stop and delete.
/// </summary>
public sealed partial class LifecycleTests : TransportFixture
{
    // Prints its grandchild's pid, then waits for it: the shape of a script that leaves work behind in the background.
    private const string GrandchildScript = "sleep 1000 &\necho $!\nwait\n";

    // Ignores SIGTERM (and so do its children, which inherit the ignored disposition) until SIGKILL.
    private const string IgnoresTermScript = "trap '' TERM\necho ready\nwhile :; do sleep 1; done\n";

    public LifecycleTests(string transport)
        : base(transport)
    {
    }

    /// <summary>Who script_stop and script_start record: the peer's account over unix, the token's user over websocket.</summary>
    private string Caller => Transport == "unix" ? Environment.UserName : "admin";

    [Test]
    public async Task Start_returns_a_running_execution_with_a_pid_and_no_end_fields()
    {
        var (script, instance) = await CreateAsync("exec sleep 30");

        var started = (await StartAsync(script, instance))["execution"]!.AsObject();
        var listed = (await Client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = script } } },
            pagination = new { limit = -10 },
        }))["executions"]!.AsArray().Single()!.AsObject();
        await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true });

        Assert.Multiple(() =>
        {
            Assert.That(started["state"]!.GetValue<string>(), Is.EqualTo("running"));
            Assert.That(started["pid"]!.GetValue<int>(), Is.GreaterThan(1));
            Assert.That(started["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
            Assert.That(started["start_trigger"]!["username"]!.GetValue<string>(), Is.EqualTo(Caller));
            Assert.That(listed["id"]!.GetValue<long>(), Is.EqualTo(started["id"]!.GetValue<long>()));
            Assert.That(listed["state"]!.GetValue<string>(), Is.EqualTo("running"));
            Assert.That(listed["pid"]!.GetValue<int>(), Is.EqualTo(started["pid"]!.GetValue<int>()));
            Assert.That(listed.ContainsKey("duration"), Is.False, "no duration while running");
            Assert.That(listed.ContainsKey("exit_code"), Is.False, "no exit_code while running");
            Assert.That(listed.ContainsKey("stop_trigger"), Is.False, "no stop_trigger while running");
        });
    }

    [Test]
    public async Task Stop_sends_SIGTERM_and_records_killed_with_minus_15_and_the_caller()
    {
        var (script, instance) = await CreateAsync("sleep 30");
        var id = await StartIdAsync(script, instance);

        var stopped = (await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance }))["execution"]!;
        var ended = (await WaitForEndAsync(id)).AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(stopped["id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(stopped["state"]!.GetValue<string>(), Is.AnyOf("terminating", "killed"));
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-15));
            Assert.That(ended["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
            Assert.That(ended["stop_trigger"]!["username"]!.GetValue<string>(), Is.EqualTo(Caller));
            Assert.That(ended["stop_trigger"]!.AsObject().ContainsKey("setting"), Is.False, "a manual trigger has no setting");
            Assert.That(ended.ContainsKey("pid"), Is.False, "no pid once ended");
            Assert.That(ended["duration"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(0));
        });
    }

    [Test]
    public async Task Script_that_traps_TERM_and_exits_0_is_finished_with_a_manual_stop_trigger()
    {
        var (script, instance) = await CreateAsync("trap 'exit 0' TERM\necho ready\nsleep 1000 &\nwait\n");
        var id = await StartIdAsync(script, instance);
        await Client.WaitForLineAsync(id, l => l == "ready");

        await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance });
        var ended = await WaitForEndAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0));
            Assert.That(ended["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
            Assert.That(ended["stop_trigger"]!["username"]!.GetValue<string>(), Is.EqualTo(Caller));
        });
    }

    [Test]
    public async Task Script_that_ignores_TERM_is_terminating_then_killed_with_minus_9_after_the_grace_period()
    {
        var (script, instance) = await CreateAsync(IgnoresTermScript, new { stop_grace_s = 1 });
        var id = await StartIdAsync(script, instance);
        await Client.WaitForLineAsync(id, l => l == "ready");

        var stopped = (await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance }))["execution"]!;
        var ended = await WaitForEndAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(stopped["state"]!.GetValue<string>(), Is.EqualTo("terminating"));
            Assert.That(stopped["pid"], Is.Not.Null, "pid is shown while terminating");
            Assert.That(stopped["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-9));
            Assert.That(ended["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
        });
    }

    [Test]
    public async Task Stop_while_terminating_changes_nothing_and_forced_stop_kills_at_once_with_minus_9()
    {
        // A grace period far longer than the wait below: only the forced stop can end it in time.
        var (script, instance) = await CreateAsync(IgnoresTermScript, new { stop_grace_s = 3600 });
        var id = await StartIdAsync(script, instance);
        await Client.WaitForLineAsync(id, l => l == "ready");

        var first = (await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance }))["execution"]!;
        var again = (await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance }))["execution"]!;
        var forced = (await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true }))["execution"]!;
        var ended = await WaitForEndAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(first["state"]!.GetValue<string>(), Is.EqualTo("terminating"));
            Assert.That(again["state"]!.GetValue<string>(), Is.EqualTo("terminating"));
            Assert.That(forced["state"]!.GetValue<string>(), Is.AnyOf("terminating", "killed"));
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-9));
            Assert.That(ended["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
        });
    }

    [Test]
    public async Task Forced_stop_of_a_running_script_kills_it_with_minus_9()
    {
        var (script, instance) = await CreateAsync("sleep 30");
        var id = await StartIdAsync(script, instance);

        await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true });
        var ended = await WaitForEndAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-9));
        });
    }

    [Test]
    public async Task Exit_143_by_itself_is_finished_with_143_not_killed()
    {
        var (script, instance) = await CreateAsync("exit 143");

        var ended = (await WaitForEndAsync(await StartIdAsync(script, instance))).AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(143));
            Assert.That(ended.ContainsKey("stop_trigger"), Is.False, "it ended by itself");
        });
    }

    [Test]
    public async Task Execution_that_ends_by_itself_has_duration_and_exit_code_and_no_pid_or_stop_trigger()
    {
        var (script, instance) = await CreateAsync("exit 3");

        var ended = (await WaitForEndAsync(await StartIdAsync(script, instance))).AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(3));
            Assert.That(ended["duration"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(0));
            Assert.That(ended.ContainsKey("pid"), Is.False);
            Assert.That(ended.ContainsKey("stop_trigger"), Is.False);
        });
    }

    [Test]
    public async Task Timeout_stops_the_script_with_system_timeout_stop_trigger()
    {
        var (script, instance) = await CreateAsync("sleep 30", new { timeout_s = 1 });

        var ended = await WaitForEndAsync(await StartIdAsync(script, instance));

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-15));
            Assert.That(ended["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("system"));
            Assert.That(ended["stop_trigger"]!["reason"]!.GetValue<string>(), Is.EqualTo("timeout"));
            Assert.That(ended["stop_trigger"]!.AsObject().ContainsKey("setting"), Is.False, "a system trigger has no setting (seed 000)");
            Assert.That(ended["stop_trigger"]!.AsObject().ContainsKey("username"), Is.False, "a system trigger has no username");
        });
    }

    [Test]
    public async Task Stop_leaves_no_grandchild_behind()
    {
        var (script, instance) = await CreateAsync(GrandchildScript);
        var id = await StartIdAsync(script, instance);
        var grandchild = await Client.WaitForPidLineAsync(id);
        try
        {
            Assert.That(ProcessProbe.IsAlive(grandchild), Is.True, "the grandchild runs before the stop");

            await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance });
            await WaitForEndAsync(id);

            Assert.That(await ProcessProbe.WaitUntilGoneAsync(grandchild, TimeSpan.FromSeconds(10)), Is.True,
                $"grandchild {grandchild} still runs after the stop");
        }
        finally
        {
            ProcessProbe.KillIfAlive(grandchild);
        }
    }

    [Test]
    public async Task Grandchild_that_ignores_TERM_is_killed_with_its_group_when_the_script_ends()
    {
        // The script ends on SIGTERM; its grandchild shrugs SIGTERM off and must still not outlive it.
        var (script, instance) = await CreateAsync("(trap '' TERM; exec sleep 1000) &\necho $!\nwait\n");
        var id = await StartIdAsync(script, instance);
        var grandchild = await Client.WaitForPidLineAsync(id);
        try
        {
            await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance });
            var ended = await WaitForEndAsync(id);
            var gone = await ProcessProbe.WaitUntilGoneAsync(grandchild, TimeSpan.FromSeconds(10));

            Assert.Multiple(() =>
            {
                Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-15));
                Assert.That(gone, Is.True, $"grandchild {grandchild} still runs after the script ended");
            });
        }
        finally
        {
            ProcessProbe.KillIfAlive(grandchild);
        }
    }

    [Test]
    public async Task Background_process_of_a_script_that_exits_by_itself_ends_with_it()
    {
        var (script, instance) = await CreateAsync("sleep 1000 &\necho $!\n");
        var id = await StartIdAsync(script, instance);
        var ended = await WaitForEndAsync(id);
        var grandchild = int.Parse((await Client.ReadAllContentAsync(id)).Single(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var gone = await ProcessProbe.WaitUntilGoneAsync(grandchild, TimeSpan.FromSeconds(10));

            Assert.Multiple(() =>
            {
                Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
                Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0));
                Assert.That(gone, Is.True, $"background process {grandchild} outlived its execution");
            });
        }
        finally
        {
            ProcessProbe.KillIfAlive(grandchild);
        }
    }

    [Test]
    public async Task Second_start_while_running_is_refused_with_already_running()
    {
        var (script, instance) = await CreateAsync("exec sleep 30");
        var id = await StartIdAsync(script, instance);

        var error = await Client.CallErrorAsync("script_start", new { script_name = script, instance_name = instance });
        await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true });
        await WaitForEndAsync(id);

        AssertAppError(error, 1002, "already_running");
    }

    [Test]
    public async Task Stop_when_not_running_is_refused_with_not_running()
    {
        var (script, instance) = await CreateAsync("exit 0");
        var never = await Client.CallErrorAsync("script_stop", new { script_name = script, instance_name = instance });
        await WaitForEndAsync(await StartIdAsync(script, instance));

        var afterEnd = await Client.CallErrorAsync("script_stop", new { script_name = script, instance_name = instance });

        AssertAppError(never, 1003, "not_running");
        AssertAppError(afterEnd, 1003, "not_running");
    }

    [Test]
    public async Task Deleting_the_script_or_instance_while_it_runs_is_refused_with_conflict()
    {
        var (script, instance) = await CreateAsync("exec sleep 30");
        var id = await StartIdAsync(script, instance);

        var deleteScript = await Client.CallErrorAsync("script_delete", new { name = script });
        var deleteInstance = await Client.CallErrorAsync("script_instance_delete", new { script_name = script, instance_name = instance });
        await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true });
        await WaitForEndAsync(id);

        AssertAppError(deleteScript, 1006, "conflict");
        AssertAppError(deleteInstance, 1006, "conflict");
    }

    private static void AssertAppError(JsonObject error, int code, string reason) =>
        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(code), () => error.ToJsonString());
            Assert.That(error["data"]?["reason"]?.GetValue<string>(), Is.EqualTo(reason), () => error.ToJsonString());
        });

    private async Task<long> RunToEndAsync(string source)
    {
        var (script, instance) = await CreateAsync(source);
        var id = await StartIdAsync(script, instance);
        await WaitForEndAsync(id);
        return id;
    }

    private Task<JsonNode> StartAsync(string script, string instance, string? arguments = null) =>
        arguments is null
            ? Client.CallAsync("script_start", new { script_name = script, instance_name = instance })
            : Client.CallAsync("script_start", new { script_name = script, instance_name = instance, arguments });

    private async Task<long> StartIdAsync(string script, string instance, string? arguments = null) =>
        (await StartAsync(script, instance, arguments))["execution"]!["id"]!.GetValue<long>();
}
