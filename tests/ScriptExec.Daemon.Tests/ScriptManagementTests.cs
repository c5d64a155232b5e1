using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

public sealed class ScriptManagementTests : TransportFixture
{
    public ScriptManagementTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Script_set_returns_a_content_version_and_script_get_the_source()
    {
        var name = "hello-" + Transport;
        var set = await Client.CallAsync("script_set", new { name, source = "echo hi\n", description = "greets" });
        var get = await Client.CallAsync("script_get", new { name });

        Assert.Multiple(() =>
        {
            Assert.That(set["version"]!.GetValue<string>(), Has.Length.EqualTo(16));
            Assert.That(set["source"], Is.Null, "script_set does not echo the source back");
            Assert.That(get["source"]!.GetValue<string>(), Is.EqualTo("echo hi\n"));
            Assert.That(get["version"]!.GetValue<string>(), Is.EqualTo(set["version"]!.GetValue<string>()));
            Assert.That(get["description"]!.GetValue<string>(), Is.EqualTo("greets"));
            Assert.That(get["updated_timestamp"]!.GetValue<long>(), Is.GreaterThan(1_700_000_000));
        });
    }

    [Test]
    public async Task Same_source_keeps_the_version_and_new_source_changes_it()
    {
        var name = "versions-" + Transport;
        var first = (await Client.CallAsync("script_set", new { name, source = "echo 1" }))["version"]!.GetValue<string>();
        var same = (await Client.CallAsync("script_set", new { name, source = "echo 1" }))["version"]!.GetValue<string>();
        var changed = (await Client.CallAsync("script_set", new { name, source = "echo 2" }))["version"]!.GetValue<string>();

        Assert.Multiple(() =>
        {
            Assert.That(same, Is.EqualTo(first));
            Assert.That(changed, Is.Not.EqualTo(first));
        });
    }

    [Test]
    public async Task Changed_source_hides_old_executions_unless_outdated_are_included()
    {
        var (script, instance) = await CreateAsync("echo old");
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForEndAsync(id);

        await Client.CallAsync("script_set", new { name = script, source = "echo new" });
        var filter = new { instances = new[] { new { script_name = script } } };
        var hidden = await Client.CallAsync("script_execution_get", new { filter, pagination = new { limit = -10 } });
        var shown = await Client.CallAsync("script_execution_get", new
        {
            filter = new { instances = filter.instances, include_outdated = true },
            pagination = new { limit = -10 },
        });

        Assert.Multiple(() =>
        {
            Assert.That(hidden["executions"]!.AsArray(), Is.Empty);
            Assert.That(shown["executions"]![0]!["id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(shown["executions"]![0]!["is_outdated"]!.GetValue<bool>(), Is.True);
        });
    }

    [Test]
    public async Task Overview_lists_scripts_instances_triggers_and_last_execution()
    {
        var (script, instance) = await CreateAsync("echo hi");
        var before = await FindInstance(script, instance);
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForEndAsync(id);
        var after = await FindInstance(script, instance);

        Assert.Multiple(() =>
        {
            Assert.That(before["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
            Assert.That(before["last_execution"], Is.Null);
            Assert.That(after["last_execution"]!["id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(after["last_execution"]!["pid"], Is.Null, "no pid once ended");
        });
    }

    [Test]
    public async Task Instance_set_returns_the_instance_with_defaults_and_replaces_it_on_change()
    {
        var (script, _) = await CreateAsync("true");
        var first = await Client.CallAsync("script_instance_set", new
        {
            script_name = script, instance_name = "cfg", arguments = "-v 'a b'", env = new { MODE = "x" },
            working_dir = "/tmp", timeout_s = 60, start_trigger = new { type = "manual" }, stop_trigger = new { type = "manual" },
        });
        var second = await Client.CallAsync("script_instance_set", new { script_name = script, instance_name = "cfg", start_trigger = new { type = "manual" } });

        Assert.Multiple(() =>
        {
            Assert.That(first["arguments"]!.GetValue<string>(), Is.EqualTo("-v 'a b'"));
            Assert.That(first["env"]!["MODE"]!.GetValue<string>(), Is.EqualTo("x"));
            Assert.That(first["stop_grace_s"]!.GetValue<int>(), Is.EqualTo(10));
            Assert.That(first["timeout_s"]!.GetValue<int>(), Is.EqualTo(60));
            Assert.That(second["arguments"], Is.Null);
            Assert.That(second["timeout_s"], Is.Null);
        });
    }

    [Test]
    public async Task Instance_get_reads_the_configuration_back_with_secrets_masked()
    {
        var (script, _) = await CreateAsync("true");
        await Client.CallAsync("script_instance_set", new JsonObject
        {
            ["script_name"] = script, ["instance_name"] = "cfg", ["arguments"] = "-x", ["timeout_s"] = 5,
            ["start_trigger"] = new JsonObject { ["type"] = "manual" },
            ["env"] = new JsonObject { ["A"] = "1", ["TOKEN"] = new JsonObject { ["value"] = "hidden-value", ["secret"] = true } },
        });

        var instance = await Client.CallAsync("script_instance_get", new { script_name = script, instance_name = "cfg" });
        var missing = await Client.CallErrorAsync("script_instance_get", new { script_name = script, instance_name = "nope" });

        Assert.Multiple(() =>
        {
            Assert.That(instance["arguments"]!.GetValue<string>(), Is.EqualTo("-x"));
            Assert.That(instance["timeout_s"]!.GetValue<int>(), Is.EqualTo(5));
            Assert.That(instance["env"]!["A"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(instance["env"]!["TOKEN"]!.GetValue<string>(), Is.EqualTo("********"));
            Assert.That(missing["code"]!.GetValue<int>(), Is.EqualTo(1001));
        });
    }

    [Test]
    public async Task Rerun_of_a_run_without_arguments_runs_and_records_none()
    {
        var (script, instance) = await CreateAsync("echo \"[$*]\"");
        var first = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForEndAsync(first);
        await Client.CallAsync("script_instance_set", new { script_name = script, instance_name = instance, arguments = "later", start_trigger = new { type = "manual" } });

        var rerun = (await Client.CallAsync("script_execution_rerun", new { execution_id = first }))["execution"]!;
        await WaitForEndAsync(rerun["id"]!.GetValue<long>());
        var output = await Client.CallAsync("script_execution_output_get", new { filter = new { execution_id = rerun["id"]!.GetValue<long>() }, pagination = new { limit = 1 } });

        Assert.Multiple(() =>
        {
            Assert.That(rerun["arguments"], Is.Null);
            Assert.That(output["lines"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("[]"));
        });
    }

    [Test]
    public async Task Deleting_an_instance_and_a_script_removes_them_but_keeps_history_as_outdated()
    {
        var (script, instance) = await CreateAsync("true");
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForEndAsync(id);

        await Client.CallAsync("script_instance_delete", new { script_name = script, instance_name = instance });
        var startDeleted = await Client.CallErrorAsync("script_start", new { script_name = script, instance_name = instance });
        await Client.CallAsync("script_delete", new { name = script });
        var getDeleted = await Client.CallErrorAsync("script_get", new { name = script });
        var history = await Client.CallAsync("script_execution_get", new
        {
            filter = new { include_outdated = true, instances = new[] { new { script_name = script } } },
            pagination = new { limit = 10 },
        });

        Assert.Multiple(() =>
        {
            Assert.That(startDeleted["code"]!.GetValue<int>(), Is.EqualTo(1001));
            Assert.That(getDeleted["data"]!["reason"]!.GetValue<string>(), Is.EqualTo("not_found"));
            Assert.That(history["executions"]![0]!["is_outdated"]!.GetValue<bool>(), Is.True);
        });
    }

    [Test]
    public async Task Filter_options_list_the_values_seen()
    {
        var (script, instance) = await CreateAsync("exit 5");
        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        await WaitForEndAsync(id);

        var options = await Client.CallAsync("script_execution_filter_options_get");

        Assert.Multiple(() =>
        {
            Assert.That(options["instances"]!.AsArray().Any(i => i!["script_name"]!.GetValue<string>() == script), Is.True);
            Assert.That(options["exit_codes"]!.AsArray().Select(c => c!.GetValue<int>()), Does.Contain(5));
            Assert.That(options["states"]!.AsArray().Select(s => s!.GetValue<string>()), Does.Contain("finished"));
            Assert.That(options["trigger_types"]!.AsArray().Select(s => s!.GetValue<string>()), Does.Contain("manual"));
            Assert.That(options["usernames"]!.AsArray(), Is.Not.Empty);
        });
    }

    [TestCase("script_get", """{"name": "no-such-script"}""", 1001, "not_found")]
    [TestCase("script_delete", """{"name": "no-such-script"}""", 1001, "not_found")]
    [TestCase("script_instance_set", """{"script_name": "no-such-script", "instance_name": "i", "start_trigger": {"type": "manual"}}""", 1001, "not_found")]
    [TestCase("script_instance_delete", """{"script_name": "no-such-script", "instance_name": "i"}""", 1001, "not_found")]
    [TestCase("script_start", """{"script_name": "no-such-script", "instance_name": "i"}""", 1001, "not_found")]
    [TestCase("script_stop", """{"script_name": "no-such-script", "instance_name": "i"}""", 1001, "not_found")]
    [TestCase("script_execution_rerun", """{"execution_id": 987654321}""", 1001, "not_found")]
    [TestCase("script_execution_output_get", """{"filter": {"execution_id": 987654321}, "pagination": {"limit": 1}}""", 1001, "not_found")]
    public async Task Missing_things_are_not_found(string method, string parameters, int code, string reason)
    {
        var error = await Client.CallErrorAsync(method, JsonNode.Parse(parameters));

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(code));
            Assert.That(error["data"]!["reason"]!.GetValue<string>(), Is.EqualTo(reason));
        });
    }

    [TestCase("script_set", """{"name": "bad name", "source": "x"}""", "name")]
    [TestCase("script_set", """{"name": "ok"}""", "source")]
    [TestCase("script_set", """{"name": "ok", "source": 5}""", "source")]
    [TestCase("script_set", """{"name": "..", "source": "x"}""", "name")]
    [TestCase("script_get", """{}""", "name")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i"}""", "start_trigger")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "cron"}}""", "start_trigger.type")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual", "setting": "x"}}""", "start_trigger.setting")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual"}, "arguments": "'open"}""", "arguments")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual"}, "env": {"1X": "v"}}""", "env.1X")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual"}, "env": {"SCRIPTEXEC_X": "v"}}""", "env.SCRIPTEXEC_X")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual"}, "working_dir": "rel/dir"}""", "working_dir")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual"}, "timeout_s": 0}""", "timeout_s")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual"}, "stop_grace_s": -1}""", "stop_grace_s")]
    [TestCase("script_instance_set", """{"script_name": "s", "instance_name": "i", "start_trigger": {"type": "manual"}, "user": "no-such-user-x"}""", "user")]
    [TestCase("script_start", """{"script_name": "s"}""", "instance_name")]
    [TestCase("script_stop", """{"script_name": "s", "instance_name": "i", "force": "yes"}""", "force")]
    [TestCase("script_execution_rerun", """{"execution_id": "1"}""", "execution_id")]
    [TestCase("script_execution_filter_options_get", """{"include_outdated": 1}""", "include_outdated")]
    [TestCase("status", """{"filter": {"states": ["running"]}}""", "filter.states")]
    [TestCase("script_overview_get", """{"verbose": true}""", "verbose")]
    public async Task Invalid_params_are_rejected_naming_the_field(string method, string parameters, string field)
    {
        var error = await Client.CallErrorAsync(method, JsonNode.Parse(parameters));

        Assert.Multiple(() =>
        {
            Assert.That(error["code"]!.GetValue<int>(), Is.EqualTo(-32602), error.ToJsonString());
            Assert.That(error["data"]!["field"]!.GetValue<string>(), Is.EqualTo(field), error.ToJsonString());
        });
    }

    private async Task<JsonNode> FindInstance(string script, string instance)
    {
        var overview = await Client.CallAsync("script_overview_get");
        return overview["scripts"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == script)!["instances"]!.AsArray()
            .Single(i => i!["name"]!.GetValue<string>() == instance)!;
    }
}
