using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// A controller limit the machine cannot enforce (here: cgroups off, so no controller at all) is accepted — the
/// configuration may outlive the machine's layout — but never silently: the instance lists it in
/// <c>unenforced_limits</c>, inherited defaults included, and the run goes on without it.
/// </summary>
public sealed class UnenforcedLimitTests : TransportFixture
{
    public UnenforcedLimitTests(string transport)
        : base(transport)
    {
    }

    protected override string[] DaemonArguments
    {
        get
        {
            var config = Path.Combine(Directory.CreateTempSubdirectory("scriptexec-unenforced-").FullName, "config.json");
            File.WriteAllText(config, """{"cgroup": "off", "limits": {"pids": 64}}""");
            return ["--config", config];
        }
    }

    [Test]
    public async Task Status_offers_no_controller_with_cgroups_off()
    {
        var confinement = (await Client.CallAsync("status", new { }))["confinement"]!;

        Assert.Multiple(() =>
        {
            Assert.That(confinement["cgroup"]!.GetValue<string>(), Is.EqualTo("none"));
            Assert.That(confinement["controllers"]!.AsArray(), Is.Empty);
            Assert.That(confinement["controller_hierarchies"]!.AsObject(), Is.Empty);
        });
    }

    [Test]
    public async Task A_limit_nothing_can_enforce_is_accepted_listed_on_the_instance_and_the_run_goes_on()
    {
        var (script, instance) = await CreateAsync("#!/bin/sh\necho ran\n", new { limits = new { memory_mb = 64, open_files = 40 } });
        var stored = await Client.CallAsync("script_instance_get", new { script_name = script, instance_name = instance });
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        var ended = await WaitForEndAsync(id);

        Assert.Multiple(() =>
        {
            Assert.That(stored["limits"]!.ToJsonString(), Is.EqualTo("""{"open_files":40,"memory_mb":64}"""), "stored as given");
            Assert.That(
                stored["unenforced_limits"]!.AsArray().Select(n => n!.GetValue<string>()),
                Is.EqualTo(new[] { "memory_mb", "pids" }),
                "its own memory_mb and the daemon default pids; open_files is an rlimit, enforced");
            Assert.That(ended["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(ended["exit_code"]!.GetValue<int>(), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task An_instance_that_sets_a_controller_limit_to_null_has_nothing_unenforced()
    {
        var (script, instance) = await CreateAsync("true", new { limits = new { pids = (int?)null } });
        var stored = await Client.CallAsync("script_instance_get", new { script_name = script, instance_name = instance });

        Assert.That(stored["unenforced_limits"], Is.Null, "null = unlimited overrides the daemon default, so nothing is missing");
    }
}
