using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// An execution's life over the wire: running → (terminating) → finished | killed, stop and timeout, what a script
/// is given (environment, arguments, interpreter, working directory) and the errors of start, stop and delete.
/// </summary>
public sealed class LifecycleTests : TransportFixture
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
            Assert.That(ended["stop_trigger"]!["setting"]!.GetValue<string>(), Is.EqualTo("timeout"));
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

    [Test]
    public async Task Script_gets_the_execution_variables_the_instance_env_and_a_minimal_PATH_and_nothing_else()
    {
        var (script, instance) = await CreateAsync("exec env", new { env = new Dictionary<string, string> { ["GREETING"] = "hello world" } });
        var id = await StartIdAsync(script, instance);
        await WaitForEndAsync(id);

        var environment = (await Client.ReadAllContentAsync(id))
            .Select(l => l.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);
        string[] systemDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

        Assert.Multiple(() =>
        {
            // PWD is the shell's own (dash sets it at start-up); everything else must come from the daemon.
            Assert.That(environment.Keys.Where(k => k != "PWD"), Is.EquivalentTo(new[]
            {
                "PATH", "SCRIPTEXEC_EXECUTION_ID", "SCRIPTEXEC_SCRIPT", "SCRIPTEXEC_INSTANCE", "SCRIPTEXEC_TRIGGER", "GREETING",
            }));
            Assert.That(environment.GetValueOrDefault("SCRIPTEXEC_EXECUTION_ID"), Is.EqualTo(id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(environment.GetValueOrDefault("SCRIPTEXEC_SCRIPT"), Is.EqualTo(script));
            Assert.That(environment.GetValueOrDefault("SCRIPTEXEC_INSTANCE"), Is.EqualTo(instance));
            Assert.That(environment.GetValueOrDefault("SCRIPTEXEC_TRIGGER"), Is.EqualTo("manual"));
            Assert.That(environment.GetValueOrDefault("GREETING"), Is.EqualTo("hello world"));
            Assert.That(environment.GetValueOrDefault("PATH")?.Split(':'), Is.SubsetOf(systemDirectories), "PATH holds system directories only");
            Assert.That(environment.ContainsKey("HOME"), Is.False, "the daemon's HOME is not passed on");
            Assert.That(environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public async Task Arguments_are_split_like_a_shell_and_a_run_may_override_them()
    {
        const string Arguments = "a 'b c' \"d\\\"e\"";
        var (script, instance) = await CreateAsync("for a in \"$@\"; do echo \"[$a]\"; done\n", new { arguments = Arguments });

        var configured = await StartIdAsync(script, instance);
        var configuredRun = await WaitForEndAsync(configured);
        var overridden = await StartIdAsync(script, instance, arguments: "x \"y z\"");
        var overriddenRun = await WaitForEndAsync(overridden);

        var configuredOutput = await Client.ReadAllContentAsync(configured);
        var overriddenOutput = await Client.ReadAllContentAsync(overridden);
        Assert.Multiple(() =>
        {
            Assert.That(configuredOutput, Is.EqualTo(new[] { "[a]", "[b c]", "[d\"e]" }));
            Assert.That(configuredRun["arguments"]!.GetValue<string>(), Is.EqualTo(Arguments));
            Assert.That(overriddenOutput, Is.EqualTo(new[] { "[x]", "[y z]" }));
            Assert.That(overriddenRun["arguments"]!.GetValue<string>(), Is.EqualTo("x \"y z\""));
        });
    }

    [Test]
    public async Task Script_without_a_shebang_runs_under_bin_sh()
    {
        var (script, instance) = await CreateAsync("readlink /proc/$$/exe\nreadlink -f /bin/sh\n");
        var id = await StartIdAsync(script, instance);
        var ended = await WaitForEndAsync(id);

        var output = await Client.ReadAllContentAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0));
            Assert.That(output, Has.Count.EqualTo(2));
            Assert.That(output[0], Is.EqualTo(output[^1]), "the script's own interpreter is what /bin/sh resolves to");
        });
    }

    [Test]
    public async Task Shebang_line_picks_the_interpreter()
    {
        var (script, instance) = await CreateAsync(
            "#!/usr/bin/env python3\nimport sys\nprint('python', sys.version_info.major, sys.argv[1:])\n", new { arguments = "one 'two three'" });
        var id = await StartIdAsync(script, instance);
        var ended = await WaitForEndAsync(id);

        var output = await Client.ReadAllContentAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0), () => string.Join('\n', output));
            Assert.That(output, Is.EqualTo(new[] { "python 3 ['one', 'two three']" }));
        });
    }

    [Test]
    public async Task Script_runs_in_the_instance_working_dir()
    {
        var directory = Directory.CreateTempSubdirectory("scriptexec-wd-");
        try
        {
            var (script, instance) = await CreateAsync("pwd -P", new { working_dir = directory.FullName });
            var id = await StartIdAsync(script, instance);
            await WaitForEndAsync(id);

            Assert.That(await Client.ReadAllContentAsync(id), Is.EqualTo(new[] { directory.ResolveLinkTarget(true)?.FullName ?? directory.FullName }));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task Script_starts_with_default_signal_dispositions_so_a_closed_pipe_ends_a_writer_quietly()
    {
        // The runtime ignores SIGPIPE; if that leaked into scripts, `yes` would complain about a broken pipe and spin.
        var id = await RunToEndAsync("yes | head -n 2\ngrep -E '^Sig(Blk|Ign):' /proc/self/status\n");

        var lines = await Client.ReadAllLinesAsync(id);
        Assert.Multiple(() =>
        {
            Assert.That(lines.Select(l => l["content"]!.GetValue<string>()), Is.EqualTo(new[]
            {
                "y", "y", "SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000",
            }));
            Assert.That(lines.Select(l => l["stream"]!.GetValue<string>()), Is.All.EqualTo("stdout"), "nothing on stderr");
        });
    }

    [Test]
    public async Task Script_reads_end_of_file_from_stdin_and_inherits_no_descriptor_beyond_the_standard_three()
    {
        // python lists its descriptors; the one it lists them with is the lowest free one, 3.
        var id = await RunToEndAsync(
            "#!/usr/bin/env python3\nimport os, sys\nprint(repr(sys.stdin.read()))\nprint(sorted(int(f) for f in os.listdir('/proc/self/fd')))\n");

        Assert.That(await Client.ReadAllContentAsync(id), Is.EqualTo(new[] { "''", "[0, 1, 2, 3]" }));
    }

    [Test]
    public async Task Rerun_repeats_the_recorded_arguments_under_a_new_id_even_after_the_instance_changed()
    {
        var (script, instance) = await CreateAsync("for a in \"$@\"; do echo \"[$a]\"; done\n", new { arguments = "one 'two words'" });
        var first = await StartIdAsync(script, instance);
        await WaitForEndAsync(first);
        await Client.CallAsync("script_instance_set", new
        {
            script_name = script,
            instance_name = instance,
            arguments = "changed",
            start_trigger = new { type = "manual" },
        });

        var rerun = (await Client.CallAsync("script_execution_rerun", new { execution_id = first }))["execution"]!;
        var rerunId = rerun["id"]!.GetValue<long>();
        var ended = await WaitForEndAsync(rerunId);

        var output = await Client.ReadAllContentAsync(rerunId);
        Assert.Multiple(() =>
        {
            Assert.That(rerunId, Is.GreaterThan(first));
            Assert.That(rerun["script_name"]!.GetValue<string>(), Is.EqualTo(script));
            Assert.That(rerun["instance_name"]!.GetValue<string>(), Is.EqualTo(instance));
            Assert.That(ended["arguments"]!.GetValue<string>(), Is.EqualTo("one 'two words'"));
            Assert.That(output, Is.EqualTo(new[] { "[one]", "[two words]" }));
        });
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
