namespace ScriptExec.Daemon.Tests;

/// <summary>What a script is started with: environment, arguments, interpreter, working directory, signals, descriptors.</summary>
public sealed partial class LifecycleTests
{
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
                "PATH", "SCRIPTEXEC_EXECUTION_ID", "SCRIPTEXEC_SCRIPT", "SCRIPTEXEC_INSTANCE", "SCRIPTEXEC_TRIGGER", "SCRIPTEXEC_DAEMON_KEY",
                "GREETING",
            }));
            Assert.That(environment.GetValueOrDefault("SCRIPTEXEC_DAEMON_KEY"), Does.Match("^[0-9a-f]{16}$"), "one key per daemon (data directory)");
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
    public async Task Script_reads_its_payload_then_end_of_file_and_inherits_no_descriptor_beyond_the_standard_three()
    {
        // stdin is the run's payload, one JSON line, then EOF (SPEC "Script runtime contract"; before it, /dev/null).
        // python lists its descriptors; the one it lists them with is the lowest free one, 3.
        var id = await RunToEndAsync(
            "#!/usr/bin/env python3\nimport json, os, sys\ndata = sys.stdin.read()\n"
            + "print(json.loads(data)['execution_id'] == int(os.environ['SCRIPTEXEC_EXECUTION_ID']), data.count('\\n'))\n"
            + "print(sorted(int(f) for f in os.listdir('/proc/self/fd')))\n");

        Assert.That(await Client.ReadAllContentAsync(id), Is.EqualTo(new[] { "True 1", "[0, 1, 2, 3]" }));
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

    [Test]
    public async Task Script_whose_interpreter_is_missing_finishes_with_127_and_says_why_on_stderr()
    {
        var (script, instance) = await CreateAsync("#!/nonexistent/interpreter\necho never\n");

        var started = (await StartAsync(script, instance))["execution"]!;
        var id = started["id"]!.GetValue<long>();
        var ended = await WaitForEndAsync(id);
        var stderr = await Client.ReadAllContentAsync(id, ["stderr"]);

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(127));
            Assert.That(stderr, Has.Some.Contains("No such file or directory"), string.Join('\n', stderr));
        });
    }

    [Test]
    public async Task Start_with_unbalanced_quotes_in_the_arguments_override_is_invalid_params()
    {
        var (script, instance) = await CreateAsync("exit 0");

        var error = await Client.CallErrorAsync("script_start", new { script_name = script, instance_name = instance, arguments = "'unterminated" });
        var executions = (await Client.CallAsync("script_execution_get", new
        {
            filter = new { instances = new[] { new { script_name = script } } },
            pagination = new { limit = 10 },
        }))["executions"]!.AsArray();

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32602));
            Assert.That(error["data"]?["field"]?.GetValue<string>(), Is.EqualTo("arguments"), () => error.ToJsonString());
            Assert.That(executions, Is.Empty, "nothing was started or recorded");
        });
    }
}
