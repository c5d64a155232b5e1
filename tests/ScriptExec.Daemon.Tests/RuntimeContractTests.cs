using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// What a script gets from the daemon (SPEC "Script runtime contract"), over both transports: its payload on
/// stdin, a persistent workdir, its limits, and the reason a limit gave when it ended the run.
/// </summary>
public sealed class RuntimeContractTests : TransportFixture
{
    public RuntimeContractTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task The_payload_names_the_run_and_ends_with_EOF()
    {
        var (script, instance) = await CreateAsync("#!/bin/sh\ncat\necho eof\n");
        var id = await StartAsync(script, instance);
        var lines = await OutputAsync(await WaitForEndAsync(id));

        var payload = JsonNode.Parse(lines[0])!;
        Assert.Multiple(() =>
        {
            Assert.That(payload["execution_id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(payload["script_name"]!.GetValue<string>(), Is.EqualTo(script));
            Assert.That(payload["instance_name"]!.GetValue<string>(), Is.EqualTo(instance));
            Assert.That(payload["user"]!.GetValue<string>(), Is.Not.Empty);
            Assert.That(payload["workdir"]!.GetValue<string>(), Is.EqualTo(Path.Combine(Daemon.DataDir, "work", script, instance)));
            Assert.That(payload["token"]!.GetValue<string>(), Has.Length.EqualTo(43));
            Assert.That(payload["socket"]!.GetValue<string>(), Is.EqualTo(Daemon.SocketPath));
            Assert.That(payload["url"]!.GetValue<string>(), Does.StartWith("ws://127.0.0.1:").And.EndWith("/rpc"));
            Assert.That(lines[1..], Is.EqualTo(new[] { "eof" }), "cat got exactly one line, then end of file");
        });
    }

    [Test]
    public async Task The_workdir_is_the_working_directory_and_keeps_its_files_across_runs()
    {
        var (script, instance) = await CreateAsync("#!/bin/sh\nn=$(cat count 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > count\npwd\necho $n\n");
        await WaitForEndAsync(await StartAsync(script, instance));
        var second = await OutputAsync(await WaitForEndAsync(await StartAsync(script, instance)));
        var overview = await Client.CallAsync("script_overview_get", new { });
        var bytes = overview["scripts"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == script)!["instances"]![0]!["workdir_bytes"]!.GetValue<long>();

        Assert.Multiple(() =>
        {
            Assert.That(second, Is.EqualTo(new[] { Path.Combine(Daemon.DataDir, "work", script, instance), "2" }));
            Assert.That(bytes, Is.EqualTo(2), "the count file: '2\\n'");
        });

        await Client.CallAsync("script_instance_delete", new { script_name = script, instance_name = instance });
        Assert.That(Directory.Exists(Path.Combine(Daemon.DataDir, "work", script, instance)), Is.False, "deleted with its instance");
    }

    [Test]
    public async Task Open_files_limit_is_what_ulimit_reports_inside_the_script()
    {
        var (script, instance) = await CreateAsync("#!/bin/sh\nulimit -n\nulimit -Hn\n", new { limits = new { open_files = 37 } });
        var lines = await OutputAsync(await WaitForEndAsync(await StartAsync(script, instance)));
        var stored = await Client.CallAsync("script_instance_get", new { script_name = script, instance_name = instance });

        Assert.Multiple(() =>
        {
            Assert.That(lines, Is.EqualTo(new[] { "37", "37" }));
            Assert.That(stored["limits"]!["open_files"]!.GetValue<int>(), Is.EqualTo(37));
            Assert.That(stored["role"]!.GetValue<string>(), Is.EqualTo("operator"), "the default role of a run's token");
        });
    }

    [Test]
    public async Task A_busy_loop_under_cpu_s_1_is_killed_with_reason_cpu_limit()
    {
        var (script, instance) = await CreateAsync("#!/bin/sh\nwhile :; do :; done\n", new { limits = new { cpu_s = 1 } });
        var ended = await WaitForEndAsync(await StartAsync(script, instance));

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-24), "SIGXCPU");
            Assert.That(ended["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("system"));
            Assert.That(ended["stop_trigger"]!["reason"]!.GetValue<string>(), Is.EqualTo("cpu_limit"));
        });
    }

    [Test]
    public async Task A_2_MB_write_under_file_size_mb_1_fails_and_the_file_stops_at_1_MiB()
    {
        var (script, instance) = await CreateAsync(
            "#!/bin/sh\ntrap '' XFSZ\nif head -c 2097152 /dev/zero > big; then echo written; else echo refused; fi\nwc -c < big\n",
            new { limits = new { file_size_mb = 1 } });
        var ended = await WaitForEndAsync(await StartAsync(script, instance));
        var stdout = await Client.ReadAllContentAsync(ended["id"]!.GetValue<long>(), ["stdout"]);

        Assert.That(stdout, Is.EqualTo(new[] { "refused", "1048576" }));
    }

    [Test]
    public async Task Limits_refuse_unknown_names_and_values_out_of_range_naming_the_field()
    {
        var script = "lim-" + Transport;
        await Client.CallAsync("script_set", new { name = script, source = "true" });
        var unknown = await Client.CallErrorAsync("script_instance_set", new
        {
            script_name = script, instance_name = "i", start_trigger = new { type = "manual" }, limits = new { cpu_seconds = 1 },
        });
        var range = await Client.CallErrorAsync("script_instance_set", new
        {
            script_name = script, instance_name = "i", start_trigger = new { type = "manual" }, limits = new { nice = 40 },
        });
        var role = await Client.CallErrorAsync("script_instance_set", new
        {
            script_name = script, instance_name = "i", start_trigger = new { type = "manual" }, role = "root",
        });

        Assert.Multiple(() =>
        {
            Assert.That(unknown["code"]!.GetValue<int>(), Is.EqualTo(-32602));
            Assert.That(unknown["data"]!["field"]!.GetValue<string>(), Is.EqualTo("limits.cpu_seconds"));
            Assert.That(range["data"]!["field"]!.GetValue<string>(), Is.EqualTo("limits.nice"));
            Assert.That(role["data"]!["field"]!.GetValue<string>(), Is.EqualTo("role"));
        });
    }

    [Test]
    public async Task Status_reports_the_confinement_of_this_machine()
    {
        var status = await Client.CallAsync("status", new { });
        var confinement = status["confinement"]!;
        // The held spawn sets rlimits itself where the kernel lists a thread's children; else prlimit and nice must exist.
        var heldSpawn = Directory.EnumerateDirectories("/proc/self/task").Any(task => File.Exists(Path.Combine(task, "children")));

        Assert.Multiple(() =>
        {
            Assert.That(
                confinement["rlimits"]!.GetValue<bool>(),
                Is.EqualTo(heldSpawn || (File.Exists("/usr/bin/prlimit") && File.Exists("/usr/bin/nice"))));
            Assert.That(confinement["cgroup"]!.GetValue<string>(), Is.AnyOf("v2", "none"));
            Assert.That(confinement["controllers"], Is.InstanceOf<JsonArray>());
        });
    }

    private async Task<long> StartAsync(string script, string instance) =>
        (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();

    private async Task<string[]> OutputAsync(JsonNode execution) => [.. await Client.ReadAllContentAsync(execution["id"]!.GetValue<long>())];
}
