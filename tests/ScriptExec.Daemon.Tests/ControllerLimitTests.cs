using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// The cgroup controller limits <c>memory_mb</c>, <c>pids</c> and <c>cpu_percent</c> (SPEC "Script runtime contract"),
/// over both transports, through whichever hierarchy this machine offers each controller in (v2, or v1 on a hybrid
/// layout). A test whose controller the machine lacks is ignored with the reason.
/// </summary>
public sealed class ControllerLimitTests : TransportFixture
{
    public ControllerLimitTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Status_reports_each_controller_with_the_hierarchy_it_lives_in()
    {
        var confinement = (await Client.CallAsync("status", new { }))["confinement"]!;
        var controllers = confinement["controllers"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        var hierarchies = confinement["controller_hierarchies"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());

        Assert.Multiple(() =>
        {
            Assert.That(controllers, Is.SubsetOf(new[] { "memory", "pids", "cpu" }));
            Assert.That(hierarchies.Keys, Is.EquivalentTo(controllers));
            Assert.That(hierarchies.Values, Is.All.AnyOf("v1", "v2"));
            foreach (var controller in new[] { "memory", "pids", "cpu" })
            {
                // A v1 hierarchy of the controller (the hybrid layout; writable as root) is used when v2 lacks it.
                if (Environment.UserName == "root" && File.Exists(Path.Combine("/sys/fs/cgroup", controller, "cgroup.procs")))
                {
                    Assert.That(controllers, Does.Contain(controller), $"{controller}: its v1 hierarchy is mounted and writable");
                }
            }
        });
    }

    [Test]
    public async Task A_script_allocating_beyond_memory_mb_is_killed_with_reason_oom_and_its_cgroup_removed()
    {
        var hierarchy = await RequireAsync("memory");

        // The shell itself grows (a string doubling), so the OOM killer's choice is the run's main process.
        var (script, instance) = await CreateAsync(
            "#!/bin/sh\ncat /proc/self/cgroup\nx=0123456789abcdef\nwhile :; do x=\"$x$x\"; done\n",
            new { limits = new { memory_mb = 16 } });
        var id = await StartAsync(script, instance);
        var ended = await WaitForEndAsync(id);
        var cgroup = RunCgroup.Directory(await OutputAsync(id), "memory", hierarchy);

        // Removed once the end is recorded and announced, so just after the end is seen.
        var removed = await Eventually.TryAsync(() => Task.FromResult(!Directory.Exists(cgroup)), Eventually.DefaultTimeout);
        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("killed"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(-9), "SIGKILL from the OOM killer");
            Assert.That(ended["stop_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("system"));
            Assert.That(ended["stop_trigger"]!["reason"]!.GetValue<string>(), Is.EqualTo("oom"));
            Assert.That(cgroup, Does.Contain("/exec-" + id), "the run had a memory cgroup of its own");
            Assert.That(removed, Is.True, $"{cgroup} is removed after the run");
        });
    }

    [TestCase("head -c 200M /dev/zero | tail\n", 137, "oom")]
    [TestCase("head -c 200M /dev/zero | tail\necho went on\n", 0, null)]
    public async Task A_child_killed_by_the_OOM_killer_gives_reason_oom_only_when_the_script_then_fails(string body, int exitCode, string? reason)
    {
        await RequireAsync("memory");

        // tail holds its whole input (no newline in it), so tail is the largest process and the one ended.
        var (script, instance) = await CreateAsync("#!/bin/sh\n" + body, new { limits = new { memory_mb = 16 } });
        var ended = await WaitForEndAsync(await StartAsync(script, instance));

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"), "the script's own process was not the one killed");
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(exitCode));
            Assert.That(ended["stop_trigger"]?["reason"]?.GetValue<string>(), Is.EqualTo(reason));
        });
    }

    [Test]
    public async Task A_script_forking_beyond_pids_sees_the_fork_fail_and_goes_on()
    {
        await RequireAsync("pids");

        // pids 8: this shell, the inner shell and 6 sleeps; the 7th fork fails, which ends the inner shell only.
        var (script, instance) = await CreateAsync(
            "#!/bin/sh\nsh -c 'i=0; while [ $i -lt 20 ]; do sleep 300 & i=$((i+1)); echo forked; done' 2>/dev/null\necho \"after $?\"\n",
            new { limits = new { pids = 8 } });
        var id = await StartAsync(script, instance);
        var ended = await WaitForEndAsync(id);
        var lines = await OutputAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"), "a refused fork is not a kill");
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0));
            Assert.That(ended["stop_trigger"], Is.Null);
            Assert.That(lines.Count(l => l == "forked"), Is.EqualTo(6), string.Join("\n", lines));
            Assert.That(lines[^1], Is.EqualTo("after 2"), "the inner shell ended on its failed fork; the script went on");
        });
    }

    [Test]
    public async Task Cpu_percent_is_the_quota_of_the_runs_cgroup_and_a_busy_loop_is_throttled()
    {
        var hierarchy = await RequireAsync("cpu");
        var (script, instance) = await CreateAsync(
            "#!/bin/sh\ncat /proc/self/cgroup\necho ready\nwhile :; do :; done\n",
            new { limits = new { cpu_percent = 10 } });
        var id = await StartAsync(script, instance);
        var lines = await Eventually.ValueAsync(() => OutputAsync(id), l => l.Contains("ready"), "the script printed its cgroups");
        var cgroup = RunCgroup.Directory(lines, "cpu", hierarchy);
        var quota = hierarchy == "v2"
            ? (await File.ReadAllTextAsync(Path.Combine(cgroup, "cpu.max"))).Trim()
            : (await File.ReadAllTextAsync(Path.Combine(cgroup, "cpu.cfs_quota_us"))).Trim() + " "
                + (await File.ReadAllTextAsync(Path.Combine(cgroup, "cpu.cfs_period_us"))).Trim();
        var throttled = await Eventually.ValueAsync(
            async () => RunCgroup.Counter(await File.ReadAllTextAsync(Path.Combine(cgroup, "cpu.stat")), "nr_throttled"),
            n => n > 0,
            "the busy loop was throttled");
        await Client.CallAsync("script_stop", new { script_name = script, instance_name = instance, force = true });
        await WaitForEndAsync(id);
        var removed = await Eventually.TryAsync(() => Task.FromResult(!Directory.Exists(cgroup)), Eventually.DefaultTimeout);

        Assert.Multiple(() =>
        {
            Assert.That(quota, Is.EqualTo("10000 100000"), "10 % of one CPU: 10 ms per 100 ms period");
            Assert.That(throttled, Is.GreaterThan(0));
            Assert.That(removed, Is.True, $"{cgroup} is removed after the run");
        });
    }

    [Test]
    public async Task Limits_the_machine_enforces_are_not_listed_as_unenforced()
    {
        await RequireAsync("memory");
        await RequireAsync("pids");
        await RequireAsync("cpu");
        var (script, instance) = await CreateAsync("true", new { limits = new { memory_mb = 64, pids = 50, cpu_percent = 50 } });
        var stored = await Client.CallAsync("script_instance_get", new { script_name = script, instance_name = instance });

        Assert.Multiple(() =>
        {
            Assert.That(stored["limits"]!.ToJsonString(), Is.EqualTo("""{"memory_mb":64,"pids":50,"cpu_percent":50}"""));
            Assert.That(stored["unenforced_limits"], Is.Null);
        });
    }

    [Test]
    public async Task Controller_limits_out_of_range_are_refused_naming_the_field()
    {
        var script = "ctl-" + Transport;
        await Client.CallAsync("script_set", new { name = script, source = "true" });
        var refusals = new List<JsonObject>();
        foreach (var limits in new object[] { new { memory_mb = 3 }, new { pids = 0 }, new { cpu_percent = 10001 } })
        {
            refusals.Add(await Client.CallErrorAsync("script_instance_set", new
            {
                script_name = script, instance_name = "i", start_trigger = new { type = "manual" }, limits,
            }));
        }

        Assert.Multiple(() =>
        {
            Assert.That(refusals.Select(r => r["code"]!.GetValue<int>()), Is.All.EqualTo(-32602));
            Assert.That(
                refusals.Select(r => r["data"]!["field"]!.GetValue<string>()),
                Is.EqualTo(new[] { "limits.memory_mb", "limits.pids", "limits.cpu_percent" }));
        });
    }

    /// <summary>The hierarchy the daemon uses <paramref name="controller"/> through; ignores the test when it has none.</summary>
    private async Task<string> RequireAsync(string controller)
    {
        var hierarchies = (await Client.CallAsync("status", new { }))["confinement"]!["controller_hierarchies"]!.AsObject();
        if (hierarchies[controller] is { } hierarchy)
        {
            return hierarchy.GetValue<string>();
        }

        Assert.Ignore($"this machine offers no usable {controller} controller (neither in cgroup v2 nor as a writable v1 hierarchy)");
        return string.Empty;
    }

    private async Task<long> StartAsync(string script, string instance) =>
        (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();

    private async Task<string[]> OutputAsync(long id) => [.. await Client.ReadAllContentAsync(id)];
}
